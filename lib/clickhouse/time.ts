// The one text form of a time for ClickHouse: query parameters of type
// DateTime64(3, 'UTC') / DateTime and JSONEachRow inserts take
// 'YYYY-MM-DD hh:mm:ss.SSS' (or without .SSS for DateTime) in UTC. Pure.

/** 'YYYY-MM-DD hh:mm:ss.SSS' in UTC ('YYYY-MM-DD hh:mm:ss' with precision "s"). */
export function formatClickHouseTime(value: Date | number, precision: "ms" | "s" = "ms"): string {
  return new Date(toClickHouseMillis(value))
    .toISOString()
    .replace("T", " ")
    .slice(0, precision === "ms" ? 23 : 19);
}

/** Epoch ms of a time ClickHouse can hold, else RangeError. */
export function toClickHouseMillis(value: Date | number): number {
  const ms = typeof value === "number" ? value : value instanceof Date ? value.getTime() : NaN;
  // DateTime64 stops at 2299; toISOString would also throw on an invalid date.
  if (!Number.isFinite(ms) || ms < Date.UTC(1900, 0, 1) || ms >= Date.UTC(2300, 0, 1)) {
    throw new RangeError(`Invalid time: ${String(value)}`);
  }
  return ms;
}
