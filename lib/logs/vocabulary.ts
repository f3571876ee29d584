// Search that forgives: what a bare word shaped like an id means (E105 -> a code, GW-0042 ->
// a gateway, EM-613 -> a meter), and "did you mean" for a value outside a field's vocabulary
// (sev:warning -> warn). Pure; the parser calls it and reports what it did as notes.
import { formatGatewayId } from "@/lib/fleet/ids";
import { CODE_LIST, LED_STATES, RESULTS, SEVERITIES, STEPS } from "@/lib/audit/codes";

/** Values each closed field takes (the audit-log contract). */
export const FIELD_VOCABULARY: Readonly<Record<string, readonly string[]>> = {
  code: CODE_LIST,
  sev: SEVERITIES,
  led: LED_STATES,
  step: STEPS,
  result: RESULTS,
};

/** Words people type for a value, by field. */
const SYNONYMS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  sev: { warning: "warn", err: "error", crit: "critical", fatal: "critical", information: "info", informational: "info", dbg: "debug" },
  result: { success: "ok", succeeded: "ok", passed: "ok", pass: "ok", failed: "fail", failure: "fail", error: "fail", timedout: "timeout", skip: "skipped" },
  led: { off: "off", green: "green_steady", amber: "amber_steady", red: "red_steady" },
};

export interface QueryNote {
  /** "interpreted": a bare word read as a field value; "did_you_mean": a value no line can have. */
  kind: "interpreted" | "did_you_mean";
  message: string;
  /** UTF-16 span of the text the note is about. */
  position: number;
  length: number;
  /** For did_you_mean: the text to put at the span instead. */
  replacement?: string;
}

/** Optimal string alignment distance (adjacent swaps count once), for short vocabulary words. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The vocabulary value meant by `value` on `field`, or null when it is already a value, the
 * field has no closed vocabulary, or nothing is close: a synonym, then a prefix either way
 * (warning/warn, crit/critical), then the nearest by edit distance (at most a third of its length).
 */
export function suggestValue(field: string, value: string): string | null {
  const vocabulary = FIELD_VOCABULARY[field];
  if (!vocabulary || value === "") return null;
  const lower = value.toLowerCase();
  if (vocabulary.some((v) => v.toLowerCase() === lower)) return null;
  const synonym = SYNONYMS[field]?.[lower];
  if (synonym && vocabulary.includes(synonym)) return synonym;
  const prefixed = vocabulary.filter((v) => {
    const w = v.toLowerCase();
    return (lower.startsWith(w) || w.startsWith(lower)) && Math.min(w.length, lower.length) >= 3;
  });
  if (prefixed.length === 1) return prefixed[0]!;
  let best: string | null = null;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const v of vocabulary) {
    const distance = editDistance(lower, v.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [v, distance];
  }
  return best !== null && bestDistance <= Math.max(1, Math.floor(best.length / 3)) ? best : null;
}

const GATEWAY_RE = /^gw-?(\d{1,6})$/i;
const METER_RE = /^(em|gm|wm)-?(\d{1,10})$/i;
/** Full meter ids have seven digits (EM-0000613); shorter numbers are padded, or read as a prefix. */
const METER_DIGITS = 7;

export function formatGatewayToken(digits: string): string {
  return formatGatewayId(digits);
}

/** A bare word's reading as a field value, or null when it is just a word. */
export type BareReading = { field: "code"; value: string } | { field: "gw"; value: string } | { field: "meter"; value: string; prefix: string | null };

/**
 * E105, e105, LOW_SNR -> code (a lower-case word like "heartbeat" stays a word: it could be
 * prose); GW-0042, gw42 -> gateway GW-0042; EM-0000613 -> that meter; EM-613 -> meter
 * EM-0000613 or any meter whose id starts EM-613.
 */
export function readBareToken(word: string): BareReading | null {
  const upper = word.toUpperCase();
  const isCode = (CODE_LIST as readonly string[]).includes(upper) && (word !== word.toLowerCase() || /[\d_]/.test(word));
  if (isCode) return { field: "code", value: upper };
  const gw = GATEWAY_RE.exec(word);
  if (gw) return { field: "gw", value: formatGatewayToken(gw[1]!) };
  const meter = METER_RE.exec(word);
  if (meter) {
    const kind = meter[1]!.toUpperCase();
    const digits = meter[2]!;
    if (digits.length >= METER_DIGITS) return { field: "meter", value: `${kind}-${digits}`, prefix: null };
    return { field: "meter", value: `${kind}-${digits.padStart(METER_DIGITS, "0")}`, prefix: `${kind}-${digits}` };
  }
  return null;
}

/** A did-you-mean for a gateway or meter value that no line can have (gw:42, meter:EM-613). */
export function suggestIdValue(field: string, value: string): string | null {
  if (field === "gw" && !/^GW-\d{4,}$/.test(value)) {
    const m = /^(?:gw)?-?(\d{1,6})$/i.exec(value);
    return m ? formatGatewayToken(m[1]!) : null;
  }
  if (field === "meter" && !/^(EM|GM|WM)-\d{7,}$/.test(value)) {
    const m = METER_RE.exec(value);
    return m ? `${m[1]!.toUpperCase()}-${m[2]!.padStart(METER_DIGITS, "0")}` : null;
  }
  return null;
}
