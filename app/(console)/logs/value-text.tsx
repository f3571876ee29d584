// Renders any value from a log line as plain text: React text nodes only, control characters
// (ESC of an ANSI sequence, NUL, ...) shown as visible escapes so nothing is hidden or interpreted.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f\u0080-\u009f]/g;

export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

/** Time column: "2026-11-25 03:14:07.498" (UTC) from ISO. */
export function formatTime(value: unknown): string {
  return typeof value === "string" ? value.replace("T", " ").replace(/Z$/, "") : formatValue(value);
}

export function ValueText({ value, time }: { value: unknown; time?: boolean }) {
  const text = time ? formatTime(value) : formatValue(value);
  if (!CONTROL.test(text)) return <>{text}</>;
  CONTROL.lastIndex = 0;
  const parts: React.ReactNode[] = [];
  let last = 0;
  for (const m of text.matchAll(CONTROL)) {
    if (m.index > last) parts.push(text.slice(last, m.index));
    const code = m[0].charCodeAt(0).toString(16).padStart(2, "0");
    parts.push(
      <span key={m.index} className="ctrl-char" style={{ color: "var(--warn)" }} title="control character">
        {`\\x${code}`}
      </span>,
    );
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return <>{parts}</>;
}
