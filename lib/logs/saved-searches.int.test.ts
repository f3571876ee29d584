import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PrismaClient } from "@/lib/db";
import { openTestStores, type TestStores } from "@/lib/testing/stores";
import { createSavedSearch, deleteSavedSearch, listSavedSearches } from "./saved-searches";

let stores: TestStores;
let db: PrismaClient;
let alice: string;
let bob: string;

beforeAll(async () => {
  stores = await openTestStores({ clickhouse: false });
  db = stores.db;
  alice = (await db.user.create({ data: { email: "alice@example.test", name: "Alice", role: "operator" } })).id;
  bob = (await db.user.create({ data: { email: "bob@example.test", name: "Bob", role: "viewer" } })).id;
});

afterAll(async () => {
  await stores.close();
});

const view = { columns: ["ts", "meter", "msg", "attrs"] as string[], stack: "code" as const, order: "asc" as const };

describe("saved searches (PGlite, or PostgreSQL with AMI_TEST_DB=postgresql)", () => {
  it("keeps the exact view, lists own and shared ones, and only the owner deletes", async () => {
    const priv = await createSavedSearch({ name: "my E105", shared: false, query: "code:E105 gw:GW-0042", range: "24h", view }, alice, db);
    const shared = await createSavedSearch(
      { name: "team meter", shared: true, query: 'meter:EM-0012345 "RF timeout"', range: "2026-11-01T00:00:00.000Z/2026-11-02T00:00:00.000Z", view },
      alice,
      db,
    );
    const forAlice = await listSavedSearches(alice, db);
    expect(forAlice.map((s) => s.name)).toEqual(["my E105", "team meter"]);
    expect(forAlice[0]).toMatchObject({ query: "code:E105 gw:GW-0042", range: "24h", view, isOwn: true, shared: false });
    const forBob = await listSavedSearches(bob, db);
    expect(forBob.map((s) => s.id)).toEqual([shared.id]);
    expect(forBob[0]).toMatchObject({ isOwn: false, ownerName: "Alice", view });
    await expect(deleteSavedSearch(shared.id, bob, db)).rejects.toMatchObject({ code: "not_found" });
    await deleteSavedSearch(priv.id, alice, db);
    expect((await listSavedSearches(alice, db)).map((s) => s.id)).toEqual([shared.id]);
  });

  it("refuses unknown columns and empty names", async () => {
    await expect(createSavedSearch({ name: " ", shared: false, query: "", range: "1h", view }, alice, db)).rejects.toThrow();
    await expect(createSavedSearch({ name: "x", shared: false, query: "", range: "1h", view: { ...view, columns: ["ts", "password"] } }, alice, db)).rejects.toThrow();
  });
});
