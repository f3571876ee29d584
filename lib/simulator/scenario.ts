// Scenario files script the causes behind faults in a simulated stream:
//   - { at: 10m, event: interference, gateway: GW-0042, duration: 30m, severity: 0.9 }
// YAML (JSON is valid YAML too), zod-validated; errors name the event and key.
import fs from "node:fs";
import { parse as parseYaml, YAMLParseError } from "yaml";
import { z } from "zod";
import { compareVersions, findGatewayIndex, isFirmwarePairCompatible, type Fleet } from "./fleet";
import { createRandom, type Seed } from "./random";
import { CLIMATE_ZONES, type ClimateZone } from "./region";

export const SCENARIO_EVENTS = ["interference", "heatwave", "storm", "tamper_burst", "firmware_cohort", "fota_wave"] as const;
export type ScenarioEventName = (typeof SCENARIO_EVENTS)[number];

const DURATION_RE = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** "90s", "10m", "1.5h", "2d", or a number of seconds. */
export function parseDurationMs(value: string | number): number {
  if (typeof value === "number") return value * 1000;
  const match = DURATION_RE.exec(value.trim());
  if (!match) throw new Error(`expected a duration like 30s, 10m, 2h, 1d; got "${value}"`);
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

const durationSchema = z.union([z.number().nonnegative(), z.string().regex(DURATION_RE, "expected a duration like 30s, 10m, 2h, 1d")]).transform((v) => parseDurationMs(v));
const gatewayIdSchema = z.string().regex(/^GW-[0-9]{4,}$/, "expected a gateway id like GW-0042");
const semverSchema = z.string().regex(/^\d+\.\d+\.\d+$/, "expected a version like 3.4.1");
const severitySchema = z.number().min(0, "severity is 0..1").max(1, "severity is 0..1").default(0.8);

const timing = {
  at: durationSchema,
  duration: durationSchema.default(30 * 60_000),
  severity: severitySchema,
};

const bboxSchema = z
  .tuple([z.number().min(-180).max(180), z.number().min(-90).max(90), z.number().min(-180).max(180), z.number().min(-90).max(90)])
  .refine(([minLon, minLat, maxLon, maxLat]) => minLon < maxLon && minLat < maxLat, "bbox is [minLon, minLat, maxLon, maxLat] with min < max");

const exactlyOne = (keys: string[]) => (v: Record<string, unknown>) => keys.filter((k) => v[k] !== undefined).length === 1;

export const scenarioEventSchema = z.discriminatedUnion(
  "event",
  [
    z.strictObject({ event: z.literal("interference"), gateway: gatewayIdSchema, ...timing }),
    z.strictObject({
      event: z.literal("heatwave"),
      zone: z.enum(CLIMATE_ZONES, { error: `expected a climate zone: ${CLIMATE_ZONES.join(", ")}` }),
      /** Extra enclosure temperature at the peak, °C. */
      rise_c: z.number().min(0).max(40).default(14),
      ...timing,
    }),
    z
      .strictObject({
        event: z.literal("storm"),
        town: z.string().min(1).optional(),
        bbox: bboxSchema.optional(),
        zone: z.enum(CLIMATE_ZONES, { error: `expected a climate zone: ${CLIMATE_ZONES.join(", ")}` }).optional(),
        ...timing,
      })
      .refine(exactlyOne(["town", "bbox", "zone"]), "a storm needs exactly one of town or bbox (or zone: a climate zone)"),
    z
      .strictObject({ event: z.literal("tamper_burst"), town: z.string().min(1).optional(), gateway: gatewayIdSchema.optional(), ...timing })
      .refine(exactlyOne(["town", "gateway"]), "a tamper_burst needs exactly one of town or gateway"),
    z.strictObject({
      event: z.literal("firmware_cohort"),
      metrology: semverSchema,
      comms: semverSchema,
      /** Only meters of this model (a pair that fails on one hardware revision). */
      model: z.string().min(1).optional(),
      ...timing,
    }),
    z.strictObject({ event: z.literal("fota_wave"), gateway: gatewayIdSchema, ...timing }),
  ],
  { error: `expected event to be one of: ${SCENARIO_EVENTS.join(", ")}` },
);
export type ScenarioEvent = z.infer<typeof scenarioEventSchema>;

export const scenarioSchema = z.union([
  z.array(scenarioEventSchema).transform((events) => ({ name: "scenario", description: "", events })),
  z.strictObject({
    name: z.string().default("scenario"),
    description: z.string().default(""),
    events: z.array(scenarioEventSchema),
  }),
]);
export type Scenario = z.infer<typeof scenarioSchema>;

export class ScenarioError extends Error {
  constructor(
    public readonly source: string,
    public readonly problems: string[],
  ) {
    super(`${source}: invalid scenario\n` + problems.map((p) => "  " + p).join("\n"));
    this.name = "ScenarioError";
  }
}

function formatPath(path: readonly PropertyKey[], isArrayForm: boolean): string {
  const parts = isArrayForm ? ["events", ...path] : [...path];
  let out = "";
  for (const p of parts) out += typeof p === "number" ? `[${p}]` : (out ? "." : "") + String(p);
  return out || "(root)";
}

/** Parse and validate scenario text (YAML or JSON). Throws ScenarioError listing every problem. */
export function parseScenario(text: string, source = "scenario"): Scenario {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    const where = e instanceof YAMLParseError && e.linePos ? ` at line ${e.linePos[0].line}, column ${e.linePos[0].col}` : "";
    throw new ScenarioError(source, [`not valid YAML/JSON${where}: ${(e as Error).message.split("\n")[0]}`]);
  }
  const result = scenarioSchema.safeParse(raw);
  if (!result.success) {
    const isArrayForm = Array.isArray(raw);
    // The union reports both branches; keep the issues of the branch matching the input's shape.
    const issues = result.error.issues.flatMap((issue) => (issue.code === "invalid_union" ? (issue.errors[isArrayForm ? 0 : 1] ?? []) : [issue]));
    throw new ScenarioError(
      source,
      issues.map((i) => `${formatPath(i.path, isArrayForm)}: ${i.message}`),
    );
  }
  return result.data;
}

export function loadScenarioFile(filePath: string): Scenario {
  return parseScenario(fs.readFileSync(filePath, "utf8"), filePath);
}

/** A scenario event bound to a fleet: which meters it touches and when (ms since stream start). */
export interface ResolvedEffect {
  event: ScenarioEventName;
  startMs: number;
  endMs: number;
  severity: number;
  /** Indexes of the meters the cause acts on. */
  meters: Int32Array;
  gateway: number;
  zone: ClimateZone | null;
  riseC: number;
  label: string;
}

/** Bind each event to fleet meters. Throws ScenarioError for gateways, towns or cohorts the fleet lacks. */
export function resolveScenario(scenario: Scenario, fleet: Fleet, source = "scenario"): ResolvedEffect[] {
  const problems: string[] = [];
  const m = fleet.meters;
  const townIndex = new Map(fleet.region.towns.map((tw, i) => [tw.name.toLowerCase(), i]));
  const collect = (test: (i: number) => boolean): Int32Array => {
    const out: number[] = [];
    for (let i = 0; i < m.count; i++) if (test(i)) out.push(i);
    return Int32Array.from(out);
  };
  const effects: ResolvedEffect[] = [];
  scenario.events.forEach((ev, n) => {
    const where = `events[${n}]`;
    const base = { event: ev.event, startMs: ev.at, endMs: ev.at + ev.duration, severity: ev.severity, gateway: -1, zone: null, riseC: 0 };
    const gatewayOf = (id: string) => {
      const g = findGatewayIndex(fleet, id);
      if (g < 0) problems.push(`${where}.gateway: ${id} is not in this fleet (GW-0001..${fleet.gateways.at(-1)?.id ?? "none"})`);
      return g;
    };
    const townOf = (name: string) => {
      const k = townIndex.get(name.toLowerCase());
      if (k === undefined) problems.push(`${where}.town: "${name}" is not a town of ${fleet.region.name}`);
      return k ?? -1;
    };
    switch (ev.event) {
      case "interference":
      case "fota_wave": {
        const g = gatewayOf(ev.gateway);
        if (g < 0) return;
        effects.push({ ...base, gateway: g, meters: collect((i) => m.gateway[i] === g), label: ev.gateway });
        if (ev.event === "fota_wave" && compareVersions(fleet.gateways[g]!.hesVersion, "4.2.0") < 0)
          problems.push(`${where}.gateway: ${ev.gateway} is on head-end ${fleet.gateways[g]!.hesVersion}; FOTA needs 4.2.0 or later`);
        return;
      }
      case "heatwave": {
        const towns = new Set(fleet.region.towns.flatMap((tw, k) => (tw.climate === ev.zone ? [k] : [])));
        effects.push({ ...base, zone: ev.zone, riseC: ev.rise_c, meters: collect((i) => towns.has(m.town[i]!)), label: ev.zone });
        return;
      }
      case "storm":
      case "tamper_burst": {
        if ("gateway" in ev && ev.gateway !== undefined) {
          const g = gatewayOf(ev.gateway);
          if (g >= 0) effects.push({ ...base, gateway: g, meters: collect((i) => m.gateway[i] === g), label: ev.gateway });
          return;
        }
        if ("zone" in ev && ev.zone !== undefined) {
          const towns = new Set(fleet.region.towns.flatMap((tw, k) => (tw.climate === ev.zone ? [k] : [])));
          effects.push({ ...base, zone: ev.zone, meters: collect((i) => towns.has(m.town[i]!)), label: ev.zone });
          return;
        }
        if (ev.town !== undefined) {
          const k = townOf(ev.town);
          if (k >= 0) effects.push({ ...base, meters: collect((i) => m.town[i] === k), label: ev.town });
          return;
        }
        const [minLon, minLat, maxLon, maxLat] = (ev as { bbox: [number, number, number, number] }).bbox;
        const meters = collect((i) => m.lat[i]! >= minLat && m.lat[i]! <= maxLat && m.lon[i]! >= minLon && m.lon[i]! <= maxLon);
        if (meters.length === 0) problems.push(`${where}.bbox: no meter of this fleet lies inside [${minLon}, ${minLat}, ${maxLon}, ${maxLat}]`);
        effects.push({ ...base, meters, label: "bbox" });
        return;
      }
      case "firmware_cohort": {
        const mi = fleet.metrologyVersions.indexOf(ev.metrology);
        const ci = fleet.commsVersions.indexOf(ev.comms);
        if (mi < 0) problems.push(`${where}.metrology: ${ev.metrology} is not a released metrology build (${fleet.metrologyVersions.join(", ")})`);
        if (ci < 0) problems.push(`${where}.comms: ${ev.comms} is not a released comms build (${fleet.commsVersions.join(", ")})`);
        if (mi < 0 || ci < 0) return;
        if (isFirmwarePairCompatible(ev.metrology, ev.comms)) {
          problems.push(`${where}: metrology ${ev.metrology} + comms ${ev.comms} is a compatible pair; IPC errors need an incompatible one`);
          return;
        }
        const model = ev.model === undefined ? -1 : fleet.models.findIndex((md) => md.id === ev.model);
        if (ev.model !== undefined && model < 0) {
          problems.push(`${where}.model: ${ev.model} is not a model of this fleet (${fleet.models.map((md) => md.id).join(", ")})`);
          return;
        }
        const onModel = (i: number) => model < 0 || m.model[i] === model;
        effects.push({
          ...base,
          meters: collect((i) => m.fwMetrology[i] === mi && m.fwComms[i] === ci && onModel(i)),
          label: `${ev.metrology}+${ev.comms}${ev.model ? ` on ${ev.model}` : ""}`,
        });
        return;
      }
    }
  });
  if (problems.length) throw new ScenarioError(source, problems);
  return effects;
}

/** The stream's default: one of each cause, picked from the fleet by seed, active for six hours from the start. */
export function createDefaultScenario(fleet: Fleet, seed: Seed): Scenario {
  const rng = createRandom(seed).fork("default-scenario");
  const busy = fleet.gateways.filter((g) => g.meterCount >= 100);
  const pool = busy.length ? busy : fleet.gateways.filter((g) => g.meterCount > 0);
  const interfered = rng.pick(pool);
  const fotaPool = pool.filter((g) => g !== interfered && compareVersions(g.hesVersion, "4.2.0") >= 0);
  const humidTowns = fleet.region.towns.filter((tw) => tw.climate === "hot-humid" && fleet.gateways.some((g) => g.town === tw.name));
  const stormTown = humidTowns.length ? rng.pick(humidTowns).name : fleet.gateways[0]!.town;
  const tamperTown = rng.pick(fleet.gateways).town;
  // The incompatible pair most meters run, so the cohort is large enough to see.
  const m = fleet.meters;
  const pairCounts = new Map<string, number>();
  for (let i = 0; i < m.count; i++) {
    const mv = fleet.metrologyVersions[m.fwMetrology[i]!]!;
    const cv = fleet.commsVersions[m.fwComms[i]!]!;
    if (!isFirmwarePairCompatible(mv, cv)) pairCounts.set(mv + " " + cv, (pairCounts.get(mv + " " + cv) ?? 0) + 1);
  }
  const worstPair = [...pairCounts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0]?.split(" ");
  const six = 6 * 3_600_000;
  const events: ScenarioEvent[] = [
    { event: "interference", gateway: interfered.id, at: 0, duration: six, severity: 0.9 },
    { event: "heatwave", zone: "hot-dry", rise_c: 14, at: 0, duration: six, severity: 0.8 },
    { event: "storm", town: stormTown, at: 0, duration: six, severity: 0.7 },
    { event: "tamper_burst", town: tamperTown, at: 0, duration: six, severity: 0.5 },
  ];
  if (worstPair) events.push({ event: "firmware_cohort", metrology: worstPair[0]!, comms: worstPair[1]!, at: 0, duration: six, severity: 0.7 });
  if (fotaPool.length) events.push({ event: "fota_wave", gateway: rng.pick(fotaPool).id, at: 0, duration: six, severity: 0.8 });
  return { name: "default", description: `one of each cause, picked for seed ${String(seed)}`, events };
}
