// Metrology constant edits against a real database: a technician's change is
// stored with before/after history and an activity event; a viewer is refused and
// nothing changes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isAppError } from "@/lib/errors";
import { generateFleet, getMeter } from "@/lib/simulator/fleet";
import { listMeterConstantChanges, updateMeterConstants } from "./constants";
import { writeGeneratedFleet } from "./generate";
import { openTestStores, type TestStores } from "@/lib/testing/stores";

let s: TestStores;
let meterId: string;
let original: Record<string, number>;
beforeAll(async () => {
  s = await openTestStores();
  const fleet = generateFleet({ meters: 200, seed: "constants", now: Date.UTC(2026, 10, 25) });
  await writeGeneratedFleet({ fleet, db: s.db, ch: s.ch });
  const m = getMeter(fleet, 3);
  meterId = m.id;
  original = { ...m.metrologyConstants };
});
afterAll(async () => {
  await s?.close();
});

describe("updateMeterConstants", () => {
  it("a technician's change writes the constants, a history entry with before/after, and an activity event", async () => {
    const tech = { id: "u-tech", email: "tech@example.test", role: "technician" as const };
    const constants = { ...original, gainCorrection: 1.0021 } as { pulseConstant: number; gainCorrection: number; phaseCorrectionDeg: number };
    await updateMeterConstants({ meterId, constants, reason: "recalibrated at 15/30/60 A" }, tech, { db: s.db, ip: "10.1.2.3" });
    const meter = await s.db.meter.findUniqueOrThrow({ where: { id: meterId } });
    expect(meter.metrologyConstants).toEqual(constants);
    const history = await listMeterConstantChanges(meterId, { db: s.db });
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ actorEmail: "tech@example.test", before: original, after: constants, reason: "recalibrated at 15/30/60 A" });
    const events = await s.db.activityEvent.findMany({ where: { action: "meter.constants.update", target: meterId } });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actorEmail: "tech@example.test", outcome: "ok", ip: "10.1.2.3" });
    expect((events[0]!.details as { after: unknown }).after).toEqual(constants);
  });

  it("refuses a viewer and an operator, records the refusal, and changes nothing", async () => {
    const before = await s.db.meter.findUniqueOrThrow({ where: { id: meterId } });
    for (const role of ["viewer", "operator"] as const) {
      const err = await updateMeterConstants(
        { meterId, constants: { ...original, gainCorrection: 1.3 } as never, reason: "should not happen" },
        { id: `u-${role}`, email: `${role}@example.test`, role },
        { db: s.db },
      ).catch((e: unknown) => e);
      expect(isAppError(err) && err.code).toBe("forbidden");
    }
    const after = await s.db.meter.findUniqueOrThrow({ where: { id: meterId } });
    expect(after.metrologyConstants).toEqual(before.metrologyConstants);
    expect(await s.db.meterConstantChange.count({ where: { meterId } })).toBe(1);
    expect(await s.db.activityEvent.count({ where: { action: "authz.denied", target: "meters.edit_constants" } })).toBe(2);
  });

  it("rejects out-of-range constants and unknown meters", async () => {
    const admin = { id: "u-admin", email: "admin@example.test", role: "admin" as const };
    await expect(updateMeterConstants({ meterId, constants: { ...original, gainCorrection: 9 } as never, reason: "typo" }, admin, { db: s.db })).rejects.toThrow();
    const missing = await updateMeterConstants({ meterId: "EM-9999999", constants: original as never, reason: "nope" }, admin, { db: s.db }).catch((e: unknown) => e);
    expect(isAppError(missing) && missing.code).toBe("not_found");
    expect(await s.db.meterConstantChange.count({ where: { meterId } })).toBe(1);
  });
});
