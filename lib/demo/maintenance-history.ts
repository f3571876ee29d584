// The demo's maintenance past (issue #27): completed inspections and metrology verifications
// over the last years, so the schedule counts from real completions, and a crew per district.
// Seeded and idempotent: nothing is written when demo history is already there.
import type { PrismaClient } from "@/lib/generated/prisma/client";
import { createRandom } from "@/lib/simulator/random";

const DAY_MS = 86_400_000;
export const DEMO_HISTORY_NOTE = "demo history";

export async function seedMaintenanceHistory(db: PrismaClient, now: number, log: (m: string) => void = () => {}): Promise<{ workOrders: number; crews: number }> {
  if (await db.workOrder.findFirst({ where: { notes: DEMO_HISTORY_NOTE }, select: { id: true } })) return { workOrders: 0, crews: 0 };
  const rnd = createRandom("demo-maintenance-history");
  const meters = await db.meter.findMany({ select: { id: true, kind: true, installedAt: true, gateway: { select: { name: true } } }, orderBy: { id: "asc" } });
  const rows: { meterId: string; jobType: string; status: "done"; completedAt: Date; createdAt: Date; notes: string; reason: string; readings?: object }[] = [];
  for (const m of meters) {
    const installed = m.installedAt.getTime();
    // Most meters had a site inspection in the last 30 months; some twice.
    if (rnd.chance(0.7)) {
      let at = Math.max(installed + 30 * DAY_MS, now - Math.floor(rnd.uniform(20, 900)) * DAY_MS);
      for (let k = 0; k < 2 && at < now - DAY_MS; k++) {
        rows.push({
          meterId: m.id,
          jobType: "inspect",
          status: "done",
          completedAt: new Date(at),
          createdAt: new Date(at - 7 * DAY_MS),
          notes: DEMO_HISTORY_NOTE,
          reason: "Inspection (preventive)",
        });
        at += Math.floor(rnd.uniform(300, 800)) * DAY_MS;
      }
    }
    // Electric meters: a metrology verification within the last six years for most.
    if (m.kind === "electric" && rnd.chance(0.6)) {
      const at = Math.max(installed + 30 * DAY_MS, now - Math.floor(rnd.uniform(30, 2200)) * DAY_MS);
      if (at < now - DAY_MS) {
        const e = () => Math.round(rnd.normal(0, 0.06) * 1000) / 1000;
        const readings = { err15A: e(), err30A: e(), err60A: e(), envelopePct: 0.2, withinEnvelope: true };
        rows.push({
          meterId: m.id,
          jobType: "calibrate",
          status: "done",
          completedAt: new Date(at),
          createdAt: new Date(at - 14 * DAY_MS),
          notes: DEMO_HISTORY_NOTE,
          reason: "Re-verification (preventive)",
          readings,
        });
      }
    }
  }
  for (let i = 0; i < rows.length; i += 5000) await db.workOrder.createMany({ data: rows.slice(i, i + 5000) });
  // One technician per ~1 500 meters of a district, 32 field hours a week each.
  const perDistrict = new Map<string, number>();
  for (const m of meters) {
    const d = m.gateway.name.replace(/\s+\d+$/, "");
    perDistrict.set(d, (perDistrict.get(d) ?? 0) + 1);
  }
  for (const [district, n] of perDistrict) {
    await db.crewCapacity.upsert({ where: { district }, create: { district, technicians: Math.max(1, Math.round(n / 1500)), hoursPerWeek: 32 }, update: {} });
  }
  log(`[demo] maintenance history: ${rows.length.toLocaleString("en")} completed inspections and verifications, crews in ${perDistrict.size} districts`);
  return { workOrders: rows.length, crews: perDistrict.size };
}
