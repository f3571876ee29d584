// JSON text that every engine accepts. JSON.stringify writes a lone UTF-16 surrogate (half of
// a pair, as a head-end's message may carry) as a \uXXXX escape, and both PostgreSQL's json
// input and ClickHouse's JSONEachRow refuse it: one such string failed the whole statement or
// insert. Well-formed pairs are written as characters, so every surrogate escape in
// JSON.stringify's output is a lone one; it becomes U+FFFD, as UTF-8 encoding does elsewhere.

/** A surrogate escape whose backslash is not itself escaped (an even run of backslashes before it). */
const LONE_SURROGATE_ESCAPE = /(?<=(?:^|[^\\])(?:\\\\)*)\\ud[89a-f][0-9a-f]{2}/g;

/** JSON.stringify's output with lone-surrogate escapes replaced by U+FFFD. */
export function wellFormedJson(text: string): string {
  return text.includes("\\ud") ? text.replace(LONE_SURROGATE_ESCAPE, "\uFFFD") : text;
}

/** JSON.stringify, well-formed for PostgreSQL and ClickHouse. */
export function stringifyWellFormed(value: unknown): string {
  return wellFormedJson(JSON.stringify(value));
}
