// Why a search found nothing: which of the query's filters removed every line. The query's
// top-level AND terms are counted alone and then one after another; the first that leaves no
// line is named. When every filter finds lines but the time range holds none, say how many
// match in the 30 days before. Counting is injected (ClickHouse in the app, a stub in tests).
import type { QueryNode, FieldRef, RangeBound } from "./query-parser";

export interface EmptyExplanation {
  /** One sentence for the page. */
  message: string;
  /** The filter that left no line (its query text), when one did. */
  culprit: string | null;
  /** Lines each filter matches on its own in the range, in query order. */
  filters: { text: string; alone: number }[];
  /** Lines the whole query matches in the 30 days before the range (null: not counted). */
  before: number | null;
}

export type CountLines = (ast: QueryNode, from: number, to: number) => Promise<number>;

const DAY_MS = 86_400_000;
/** At most this many filters are counted (each is one count query). */
const MAX_FILTERS = 8;

export async function explainEmptyResult(input: { ast: QueryNode; from: number; to: number }, count: CountLines): Promise<EmptyExplanation> {
  const { ast, from, to } = input;
  const terms = (ast.type === "and" ? ast.children : [ast]).slice(0, MAX_FILTERS);
  const filters: EmptyExplanation["filters"] = [];
  for (const t of terms) filters.push({ text: formatQueryNode(t), alone: await count(t, from, to) });

  const none = filters.find((f) => f.alone === 0);
  if (terms.length === 1 || none) {
    const culprit = none ?? filters[0]!;
    const before = await count(ast, from - 30 * DAY_MS, from);
    const tail = before > 0 ? ` ${before.toLocaleString("en")} matching lines are in the 30 days before: widen the range.` : "";
    return {
      message: `No line in this time range matches ${culprit.text}.${tail}`,
      culprit: culprit.text,
      filters,
      before,
    };
  }
  // Every filter finds lines alone: the first whose addition empties the result is the one.
  for (let k = 2; k <= terms.length; k++) {
    const n = await count({ type: "and", children: terms.slice(0, k) }, from, to);
    if (n === 0) {
      const kept = await count(terms.length === 2 ? terms[0]! : { type: "and", children: terms.slice(0, k - 1) }, from, to);
      const previous = filters
        .slice(0, k - 1)
        .map((f) => f.text)
        .join(" ");
      return {
        message: `${previous} matches ${kept.toLocaleString("en")} lines; adding ${filters[k - 1]!.text} leaves none (alone it matches ${filters[k - 1]!.alone.toLocaleString("en")}).`,
        culprit: filters[k - 1]!.text,
        filters,
        before: null,
      };
    }
  }
  return { message: "Each filter matches lines, but not together in this time range.", culprit: null, filters, before: null };
}

/** A node back as query text (for messages; values quoted when they need it). */
export function formatQueryNode(node: QueryNode): string {
  switch (node.type) {
    case "all":
      return "*";
    case "and":
      return node.children.map((c) => (c.type === "or" ? `(${formatQueryNode(c)})` : formatQueryNode(c))).join(" ");
    case "or":
      return node.children.map(formatQueryNode).join(" OR ");
    case "not":
      return `-${node.child.type === "and" || node.child.type === "or" ? `(${formatQueryNode(node.child)})` : formatQueryNode(node.child)}`;
    case "text":
      return node.phrase || /[\s():"]/.test(node.value) ? `"${node.value.replace(/(["\\])/g, "\\$1")}"` : node.value;
    case "term":
      return `${fieldName(node.field)}:${/[\s():"*?\\]/.test(node.value) || node.value === "" ? `"${node.value.replace(/(["\\])/g, "\\$1")}"` : node.value}`;
    case "wildcard":
      return `${fieldName(node.field)}:${node.pattern}`;
    case "compare":
      return `${fieldName(node.field)}:${node.op === "=" ? "" : node.op}${node.value}`;
    case "range":
      return `${fieldName(node.field)}:${lowerBound(node.lower)} TO ${upperBound(node.upper)}`;
    case "exists":
      return `_exists_:${fieldName(node.field)}`;
  }
}

function fieldName(ref: FieldRef): string {
  return ref.kind === "column" ? ref.name : `attrs.${ref.key}`;
}

function lowerBound(b: RangeBound | null): string {
  return b === null ? "[*" : `${b.inclusive ? "[" : "{"}${b.value}`;
}

function upperBound(b: RangeBound | null): string {
  return b === null ? "*]" : `${b.value}${b.inclusive ? "]" : "}"}`;
}
