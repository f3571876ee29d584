// Cursor paging of /api/v1 lists: an opaque cursor (base64url JSON the server
// reads back through a zod schema) and `next`, the full path of the next page
// (null on the last), so a client follows `next` without building URLs.
import { z } from "zod";
import { AppError } from "@/lib/errors";

export const cursorQuery = z
  .string()
  .max(512)
  .regex(/^[A-Za-z0-9_-]+$/, "not a cursor from a `next` link")
  .optional()
  .meta({ description: "Opaque cursor from the previous page's `next`." });

export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value), "utf8").toString("base64url");
}

export function decodeCursor<S extends z.ZodType>(cursor: string | undefined, schema: S): z.output<S> | null {
  if (!cursor) return null;
  try {
    return schema.parse(JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")));
  } catch {
    throw new AppError("invalid", "cursor: not a cursor from a `next` link of this list.");
  }
}

/** The request's path and query with `cursor` replaced: what `next` holds. */
export function nextLink(url: URL, cursor: unknown | null): string | null {
  if (cursor === null) return null;
  const u = new URL(url.pathname + url.search, "http://x");
  u.searchParams.set("cursor", encodeCursor(cursor));
  return u.pathname + u.search;
}

/** The `{ items, next }` shape of every list. */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), next: z.string().nullable().meta({ description: "Path of the next page; null on the last page." }) });
}
