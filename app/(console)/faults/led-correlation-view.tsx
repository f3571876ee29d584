"use client";
import Link from "next/link";
import { createColumnHelper, flexRender, getCoreRowModel, useReactTable, type ColumnDef } from "@tanstack/react-table";
import type { CorrelationCombo, CorrelationResult, DisagreeingMeter } from "@/lib/clickhouse/queries/faults";
import { formatUtc } from "@/lib/format/time";

function Table<T>({
  data,
  columns,
  testId,
  rowTestId,
}: {
  data: T[]; // eslint-disable-next-line @typescript-eslint/no-explicit-any -- TanStack's own idiom for mixed value types
  columns: ColumnDef<T, any>[];
  testId: string;
  rowTestId: string;
}) {
  const table = useReactTable({ data, columns, getCoreRowModel: getCoreRowModel() });
  return (
    <table className="data" data-testid={testId}>
      <thead>
        {table.getHeaderGroups().map((hg) => (
          <tr key={hg.id}>
            {hg.headers.map((h) => (
              <th key={h.id}>{flexRender(h.column.columnDef.header, h.getContext())}</th>
            ))}
          </tr>
        ))}
      </thead>
      <tbody>
        {table.getRowModel().rows.map((r) => (
          <tr key={r.id} data-testid={rowTestId}>
            {r.getVisibleCells().map((c) => (
              <td key={c.id}>{flexRender(c.column.columnDef.cell, c.getContext())}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const comboCol = createColumnHelper<CorrelationCombo>();
const meterCol = createColumnHelper<DisagreeingMeter>();

export function LedCorrelationView({ result, explorerBase }: { result: CorrelationResult; explorerBase: { range: string } }) {
  const logsHref = (q: string) => `/logs?${new URLSearchParams({ q, range: explorerBase.range }).toString()}`;
  const comboColumns = [
    comboCol.accessor("led", { header: "LED state", cell: (c) => c.getValue() || <span className="muted">green or none</span> }),
    comboCol.accessor("code", { header: "Fault code in the log", cell: (c) => c.getValue() || <span className="muted">none</span> }),
    comboCol.accessor("meters", { header: "Meters", cell: (c) => c.getValue().toLocaleString("en") }),
    comboCol.accessor("events", { header: "Fault lines", cell: (c) => c.getValue().toLocaleString("en") }),
    comboCol.display({
      id: "q",
      header: "",
      cell: (c) => {
        const { led, code } = c.row.original;
        const q = [led ? `led:${led}` : "", code ? `code:${code}` : ""].filter(Boolean).join(" ");
        return q ? <Link href={logsHref(q)}>lines</Link> : null;
      },
    }),
  ];
  const meterColumns = [
    meterCol.accessor("meter", {
      header: "Meter",
      cell: (c) => (
        <Link href={logsHref(`meter:${c.getValue()}`)} data-testid="disagreeing-meter">
          {c.getValue()}
        </Link>
      ),
    }),
    meterCol.accessor("leds", { header: "Fault LEDs seen", cell: (c) => c.getValue().join(", ") || <span className="muted">green only</span> }),
    meterCol.accessor("codes", { header: "Fault codes logged", cell: (c) => c.getValue().join(", ") || <span className="muted">none</span> }),
    meterCol.accessor("lastSeen", { header: "Last line (UTC)", cell: (c) => formatUtc(c.getValue(), { seconds: true }) }),
  ];
  const silent = result.disagreements.led_fault_logs_silent;
  const green = result.disagreements.logs_fault_led_green;
  return (
    <div style={{ display: "grid", gap: 12 }} data-testid="led-correlation">
      <section className="card" style={{ overflow: "auto", maxHeight: "45vh" }}>
        <h2 style={{ marginTop: 0 }}>LED state × fault codes, per meter</h2>
        <p className="muted">Each meter counts once for every pair of a fault LED it showed and a fault code it logged in the window.</p>
        {result.combos.length === 0 ? (
          <p className="muted">No LED states or fault lines in this window.</p>
        ) : (
          <Table data={result.combos} columns={comboColumns} testId="led-combos" rowTestId="led-combo" />
        )}
      </section>
      <div style={{ display: "grid", gridTemplateColumns: "repeat(auto-fit, minmax(420px, 1fr))", gap: 12 }}>
        <section className="card" style={{ overflow: "auto", maxHeight: "40vh" }} data-testid="disagree-silent">
          <h2 style={{ marginTop: 0 }}>LED shows a fault, logs silent ({silent.total.toLocaleString("en")})</h2>
          {silent.meters.length ? <Table data={silent.meters} columns={meterColumns} testId="disagree-silent-table" rowTestId="disagree-row" /> : <p className="muted">None.</p>}
        </section>
        <section className="card" style={{ overflow: "auto", maxHeight: "40vh" }} data-testid="disagree-green">
          <h2 style={{ marginTop: 0 }}>Logs show a fault, LED green ({green.total.toLocaleString("en")})</h2>
          {green.meters.length ? <Table data={green.meters} columns={meterColumns} testId="disagree-green-table" rowTestId="disagree-row" /> : <p className="muted">None.</p>}
        </section>
      </div>
    </div>
  );
}
