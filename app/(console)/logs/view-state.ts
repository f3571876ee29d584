// The explorer's view as URL params: q and range (lib/logs/time-range) plus cols, stack and order.
// Shared by the server page and the client so a link reproduces the exact view.
import { parseLogSearchParams, serializeLogSearchParams, type SearchParamsInput, type TimeRange } from "@/lib/logs/time-range";
import { LOG_COLUMNS, type LogColumn } from "@/lib/logs/sql-builder";

export const DEFAULT_COLUMNS: readonly LogColumn[] = ["ts", "sev", "code", "meter", "gw", "msg"];
export const COLUMNS_STORAGE_KEY = "ami.logs.columns";

export interface ViewState {
  q: string;
  range: TimeRange;
  rangeError: string | null;
  /** null = not in the URL (use the remembered choice). */
  cols: LogColumn[] | null;
  stack: "sev" | "code";
  order: "desc" | "asc";
}

function read(sp: SearchParamsInput, name: string): string | undefined {
  if (sp instanceof URLSearchParams) return sp.get(name) ?? undefined;
  const v = sp[name];
  return Array.isArray(v) ? v[0] : v;
}

export function parseColumns(text: string | undefined | null): LogColumn[] | null {
  if (!text) return null;
  const cols = [...new Set(text.split(",").filter((c): c is LogColumn => (LOG_COLUMNS as readonly string[]).includes(c)))];
  return cols.length ? cols : null;
}

export function parseViewState(sp: SearchParamsInput): ViewState {
  const { q, range, error } = parseLogSearchParams(sp);
  return {
    q,
    range,
    rangeError: error,
    cols: parseColumns(read(sp, "cols")),
    stack: read(sp, "stack") === "code" ? "code" : "sev",
    order: read(sp, "order") === "asc" ? "asc" : "desc",
  };
}

export function serializeViewState(v: Omit<ViewState, "rangeError">): string {
  const sp = serializeLogSearchParams({ q: v.q, range: v.range });
  if (v.cols) sp.set("cols", v.cols.join(","));
  if (v.stack !== "sev") sp.set("stack", v.stack);
  if (v.order !== "desc") sp.set("order", v.order);
  return sp.toString();
}

/** Saved-search range text: a preset, or "<fromISO>/<toISO>". */
export function rangeToText(range: TimeRange): string {
  return range.kind === "preset" ? range.preset : `${new Date(range.from).toISOString()}/${new Date(range.to).toISOString()}`;
}

export function rangeFromText(text: string): URLSearchParams {
  const sp = new URLSearchParams();
  const [from, to] = text.split("/");
  if (to) {
    sp.set("from", from!);
    sp.set("to", to);
  } else sp.set("range", text);
  return sp;
}
