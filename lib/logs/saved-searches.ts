// Saved log searches (Prisma): a name plus the exact view (q, range, columns, stack, order),
// private to the owner or shared with everyone; only the owner deletes. Rights are checked at the edge.
import { z } from "zod";
import { getDb, type PrismaClient } from "@/lib/db";
import { AppError } from "@/lib/errors";
import { LOG_COLUMNS } from "./sql-builder";

const columnSchema = z.enum(LOG_COLUMNS as unknown as [string, ...string[]]);

/** The view beyond q/range, stored in SavedSearch.columns (Json). */
export const savedViewSchema = z.object({
  columns: z.array(columnSchema).min(1).max(LOG_COLUMNS.length),
  stack: z.enum(["sev", "code"]).default("sev"),
  order: z.enum(["desc", "asc"]).default("desc"),
});
export type SavedView = z.infer<typeof savedViewSchema>;

export const createSavedSearchSchema = z.object({
  name: z.string().trim().min(1, "Give the search a name").max(120),
  shared: z.boolean().default(false),
  query: z.string().max(4000),
  /** A preset (1h, 24h, ...) or "<fromISO>/<toISO>". */
  range: z.string().min(1).max(80),
  view: savedViewSchema,
});
export type CreateSavedSearchInput = z.infer<typeof createSavedSearchSchema>;

export interface SavedSearchItem {
  id: string;
  name: string;
  shared: boolean;
  query: string;
  range: string;
  view: SavedView;
  isOwn: boolean;
  ownerName: string;
  createdAt: string;
}

function readView(json: unknown): SavedView {
  // Older rows may hold a bare column array.
  const candidate = Array.isArray(json) ? { columns: json } : json;
  const parsed = savedViewSchema.safeParse(candidate);
  return parsed.success ? parsed.data : { columns: ["ts", "sev", "code", "meter", "gw", "msg"], stack: "sev", order: "desc" };
}

export async function listSavedSearches(userId: string, db: PrismaClient = getDb()): Promise<SavedSearchItem[]> {
  const rows = await db.savedSearch.findMany({
    where: { OR: [{ ownerId: userId }, { shared: true }] },
    orderBy: [{ name: "asc" }, { createdAt: "desc" }],
    take: 200,
    include: { owner: { select: { name: true } } },
  });
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    shared: r.shared,
    query: r.query,
    range: r.range,
    view: readView(r.columns),
    isOwn: r.ownerId === userId,
    ownerName: r.owner.name ?? "",
    createdAt: r.createdAt.toISOString(),
  }));
}

export async function createSavedSearch(input: CreateSavedSearchInput, ownerId: string, db: PrismaClient = getDb()): Promise<{ id: string }> {
  const data = createSavedSearchSchema.parse(input);
  const row = await db.savedSearch.create({
    data: { name: data.name, shared: data.shared, query: data.query, range: data.range, columns: data.view, ownerId },
    select: { id: true },
  });
  return row;
}

export async function deleteSavedSearch(id: string, userId: string, db: PrismaClient = getDb()): Promise<void> {
  const { count } = await db.savedSearch.deleteMany({ where: { id, ownerId: userId } });
  if (count === 0) throw new AppError("not_found", "No saved search of yours with that id.");
}
