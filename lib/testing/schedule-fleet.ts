// Test and benchmark helper: a synthetic fleet as schedule columns (seeded, no
// I/O) with completions and conditions, for the due-date rules at scale.
import { codeColumn, emptyConditions, NO_DAY, type ConditionColumns, type FleetColumns, type LastDoneColumn } from "@/lib/scheduling/due-columns";
import { dayOf } from "@/lib/scheduling/maintenance";
import { createRandom } from "@/lib/simulator/random";

export interface ScheduleFleet {
  fleet: FleetColumns;
  lastByJobType: Map<string, LastDoneColumn>;
  conditions: ConditionColumns;
}

const KINDS = ["electric", "electric", "electric", "gas", "water"] as const;
const ZONES = ["hot-humid", "hot-dry", "temperate", "cold"] as const;
const DISTRICTS = ["Houston", "San Antonio", "Dallas", "Austin", "El Paso", "Corpus Christi", "Lubbock", "Amarillo"] as const;
const PREFIX = { electric: "EM", gas: "GM", water: "WM" } as const;

export function createScheduleFleet(n: number, now: number, seed = "schedule-fleet"): ScheduleFleet {
  const random = createRandom(seed);
  const rnd = () => random.float();
  const today = dayOf(now);
  const ids = new Array<string>(n);
  const kinds = new Array<string>(n);
  const zones = new Array<string>(n);
  const models = new Array<string>(n);
  const gws = new Array<string>(n);
  const fws = new Array<string>(n);
  const installedDay = new Int32Array(n);
  const certDay = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const kind = KINDS[Math.floor(rnd() * KINDS.length)]!;
    kinds[i] = kind;
    ids[i] = `${PREFIX[kind]}-${String(i + 1).padStart(7, "0")}`;
    zones[i] = ZONES[Math.floor(rnd() * ZONES.length)]!;
    models[i] = `${kind}-model-${Math.floor(rnd() * 4)}`;
    gws[i] = `GW-${String(Math.floor(i / 500) + 1).padStart(4, "0")}`;
    fws[i] = rnd() < 0.9 ? "3.4.1/6.1.0" : "3.3.0/6.0.2";
    installedDay[i] = today - 200 - Math.floor(rnd() * 365 * 12);
    certDay[i] = rnd() < 0.02 ? NO_DAY : today + Math.floor(rnd() * 365 * 3) - 30;
  }
  const lastByJobType = new Map<string, LastDoneColumn>();
  for (const jobType of ["inspect", "calibrate", "battery_audit", "fw_verify", "cert_renew"]) {
    const day = new Int32Array(n).fill(NO_DAY);
    for (let i = 0; i < n; i++) if (rnd() < 0.6) day[i] = Math.max(installedDay[i]!, today - Math.floor(rnd() * 365 * 3));
    lastByJobType.set(jobType, { day, detail: new Map() });
  }
  const conditions = emptyConditions(n);
  const e001 = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (rnd() < 0.5) conditions.driftPct[i] = (rnd() - 0.5) * 0.7;
    if (kinds[i] !== "electric") conditions.batteryV[i] = 2.9 + rnd() * 0.8;
    if (rnd() < 0.01) e001[i] = 1 + rnd() * 3;
  }
  conditions.faultsPerMonth.set("E001", e001);
  const fleet: FleetColumns = {
    n,
    ids,
    kind: codeColumn(kinds),
    zone: codeColumn(zones),
    model: codeColumn(models),
    gateway: codeColumn(gws),
    district: codeColumn(gws.map((g) => DISTRICTS[Number(g.slice(3)) % DISTRICTS.length]!)),
    fw: codeColumn(fws),
    installedDay,
    certDay,
  };
  return { fleet, lastByJobType, conditions };
}
