"use client";
import { flexRender, type Row, type Table } from "@tanstack/react-table";

type RowAttributes = React.HTMLAttributes<HTMLTableRowElement> & { [data: `data-${string}`]: string | number | boolean | undefined };

/** The one rendering of a TanStack table as `table.data`: header groups, then rows. */
export function DataTable<T>({
  table,
  testId,
  rowProps,
  cellStyle,
}: {
  table: Table<T>;
  testId?: string;
  rowProps?: (row: Row<T>) => RowAttributes;
  cellStyle?: React.CSSProperties;
}) {
  return (
    <table className="data" data-testid={testId}>
      <thead>
        {table.getHeaderGroups().map((hg) => (
          <tr key={hg.id}>
            {hg.headers.map((h) => (
              <th key={h.id}>{h.isPlaceholder ? null : flexRender(h.column.columnDef.header, h.getContext())}</th>
            ))}
          </tr>
        ))}
      </thead>
      <tbody>
        {table.getRowModel().rows.map((r) => (
          <tr key={r.id} {...rowProps?.(r)}>
            {r.getVisibleCells().map((c) => (
              <td key={c.id} style={cellStyle}>
                {flexRender(c.column.columnDef.cell, c.getContext())}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
