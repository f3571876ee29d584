/**
 * Log export encodings and file names. Pure.
 *
 *   csvHeader(columns) / csvRow(row, columns)   RFC 4180 lines ending in CRLF, formula-injection guarded
 *   ndjsonRow(row)                              one JSON object per line
 *   exportFileName({ q, from, to, format })     logs_<query>_<from>_<to>.<ext>, [A-Za-z0-9._-] only
 */

export type ExportFormat = "csv" | "ndjson";
export const EXPORT_FORMATS: readonly ExportFormat[] = ["csv", "ndjson"];

// A spreadsheet runs a cell starting with one of these as a formula (OWASP CSV injection);
// tab and CR are in the list because some spreadsheets strip them before looking.
const FORMULA_START = /^[=+\-@\t\r]/;

/** One CSV cell: strings are formula-guarded with a leading apostrophe, then quoted when needed. */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  let text: string;
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") {
    text = String(value); // a number like -97 is data, not a formula
  } else {
    text = typeof value === "string" ? value : JSON.stringify(value);
    if (FORMULA_START.test(text)) text = "'" + text;
  }
  return /[",\r\n]/.test(text) || /^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvHeader(columns: readonly string[]): string {
  return columns.map(csvCell).join(",") + "\r\n";
}

export function csvRow(row: Record<string, unknown>, columns: readonly string[]): string {
  return columns.map((c) => csvCell(row[c])).join(",") + "\r\n";
}

export function ndjsonRow(row: Record<string, unknown>): string {
  return JSON.stringify(row) + "\n";
}

function compactTime(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
}

/** Safe on every OS and in a Content-Disposition header: no quotes, slashes, control or non-ASCII characters. */
export function exportFileName({ q, from, to, format }: { q: string; from: number; to: number; format: ExportFormat }): string {
  const query =
    q
      .normalize("NFKD")
      .replace(/[^A-Za-z0-9_-]+/g, "_")
      .replace(/_+/g, "_")
      .replace(/^[._-]+|[._-]+$/g, "")
      .slice(0, 60)
      .replace(/[._-]+$/, "") || "all";
  const ext = format === "csv" ? "csv" : "ndjson";
  return `logs_${query}_${compactTime(from)}_${compactTime(to)}.${ext}`;
}
