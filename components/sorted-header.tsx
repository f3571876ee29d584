import Link from "next/link";
import type { ReactNode } from "react";

/** A column header of a table sorted on the server: a link to the other order, its arrow and aria-sort. No href: not sortable. */
export function SortedHeader({ sorted, href, testId, children }: { sorted: false | "asc" | "desc"; href?: string; testId: string; children: ReactNode }) {
  return (
    <th aria-sort={sorted ? (sorted === "desc" ? "descending" : "ascending") : href ? "none" : undefined}>
      {href ? (
        <Link href={href} data-testid={testId} style={{ color: "inherit", textDecoration: "none" }}>
          {children}
          {sorted ? (sorted === "desc" ? " ▼" : " ▲") : ""}
        </Link>
      ) : (
        children
      )}
    </th>
  );
}
