// The one way the UI shows an instant: UTC, "YYYY-MM-DD hh:mm" (or with
// ":ss"), optionally followed by " UTC". Pure, for server and client components.

export interface FormatUtcOptions {
  /** Show seconds: "YYYY-MM-DD hh:mm:ss". */
  seconds?: boolean;
  /** Append " UTC" (where no column header says the zone). */
  zone?: boolean;
}

/** A Date, epoch ms or ISO string as "YYYY-MM-DD hh:mm[:ss][ UTC]"; "—" when there is none. */
export function formatUtc(value: Date | number | string | null | undefined, { seconds = false, zone = false }: FormatUtcOptions = {}): string {
  if (value == null) return "—";
  const text = new Date(value)
    .toISOString()
    .replace("T", " ")
    .slice(0, seconds ? 19 : 16);
  return zone ? `${text} UTC` : text;
}
