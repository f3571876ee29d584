// The campaign planner: preflight every meter, pick a canary on purpose, cut
// the rest into gateway-safe waves per time zone, and give each wave a start
// whose whole run lies in every member's allowed local window.
import { MAX_WAVE_SIZE, getJobTypeSpec, needsApproval, type JobType, type LocalWindow } from "./job-types";
import { isValidTimeZone, MINUTE_MS } from "./local-time";
import { createPreflight } from "./preflight";
import { toMs, type Catalogue, type DateInput, type FirmwarePair, type PlanMeter, type Reason } from "./types";
import { compileWindowRules, createSlotFinder, type MaintenanceWindow, type SlotFinder } from "./windows";

export interface PlanOptions {
  waveSize?: number;
  /** Overrides the job type's window; null lifts it (any time). */
  offPeak?: LocalWindow | null;
  maintenanceWindows?: MaintenanceWindow[];
  /** YYYY-MM-DD, compared with each meter's local date. */
  blackoutDates?: string[];
  /** 0 plans no canary. */
  canarySize?: number;
  startAt?: DateInput;
  targetFirmware?: FirmwarePair;
}

export interface PlanInput {
  jobType: JobType;
  meters: PlanMeter[];
  gateways: Record<string, { maxConcurrentSessions: number }>;
  catalogue?: Catalogue;
  options?: PlanOptions;
}

export interface Exclusion {
  meterId: string;
  stage: "preflight" | "schedule";
  reasons: Reason[];
}

export interface CanaryPick {
  meterId: string;
  reasons: string[];
}

export interface Wave {
  index: number;
  isCanary: boolean;
  timezone: string;
  meterIds: string[];
  startAt: string;
  endAt: string;
  soakEndsAt: string;
  /** Wall-clock times in the wave's zone, "YYYY-MM-DD HH:MM". */
  localStart: string;
  localEnd: string;
  window: { localDate: string; label: string };
  /** The allowed interval (UTC, ISO) the wave was placed in; null when the rules allow any time. */
  windowStart: string | null;
  windowEnd: string | null;
  metersPerGateway: Record<string, number>;
}

export interface WindowUse {
  timezone: string;
  label: string;
  localDates: string[];
  waveCount: number;
}

export interface BlastRadius {
  maxMetersInFlight: number;
  maxGatewayShare: { gatewayId: string; waveIndex: number; meters: number; gatewayMeters: number; share: number } | null;
  kinds: string[];
  zones: string[];
}

export interface PlanSummary {
  waveCount: number;
  canaryWaveCount: number;
  scheduledMeters: number;
  excludedMeters: number;
  metersPerGateway: Record<string, number>;
  /** End of the last wave; null when nothing is scheduled. */
  eta: string | null;
  windowsUsed: WindowUse[];
  blastRadius: BlastRadius;
}

export interface Plan {
  jobType: JobType;
  plannedAt: string;
  settings: { waveSize: number; canarySize: number; waveMinutes: number; soakMinutes: number; windowLabel: string };
  requiresApproval: boolean;
  exclusions: Exclusion[];
  canary: CanaryPick[];
  waves: Wave[];
  summary: PlanSummary;
  notes: string[];
}

export class PlanInputError extends Error {
  constructor(
    public readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "PlanInputError";
  }
}

const YEAR_MS = 365.25 * 24 * 3_600_000;

function readOptions(input: PlanInput) {
  const spec = getJobTypeSpec(input.jobType);
  const o = input.options ?? {};
  const waveSize = o.waveSize ?? spec.defaultWaveSize;
  if (!Number.isInteger(waveSize) || waveSize < 1 || waveSize > MAX_WAVE_SIZE) {
    throw new PlanInputError("BAD_WAVE_SIZE", `wave size must be a whole number from 1 to ${MAX_WAVE_SIZE}`);
  }
  const canarySize = o.canarySize ?? spec.defaultCanarySize;
  if (!Number.isInteger(canarySize) || canarySize < 0) throw new PlanInputError("BAD_CANARY_SIZE", "canary size must be a whole number >= 0");
  const startAtMs = o.startAt === undefined ? Number.NaN : toMs(o.startAt);
  if (o.startAt !== undefined && Number.isNaN(startAtMs)) throw new PlanInputError("BAD_START", "startAt is not a date");
  let rules;
  try {
    rules = compileWindowRules({
      offPeak: o.offPeak === undefined ? spec.offPeak : o.offPeak,
      maintenanceWindows: o.maintenanceWindows ?? null,
      blackoutDates: o.blackoutDates ?? [],
    });
  } catch (err) {
    throw new PlanInputError("BAD_WINDOW", (err as Error).message);
  }
  return { spec, waveSize, canarySize, startAtMs, rules, targetFirmware: o.targetFirmware };
}

function isAnyTime(rules: ReturnType<typeof compileWindowRules>): boolean {
  return !rules.offPeak && !rules.maintenance && rules.blackout.size === 0;
}

/** Rough risk used to choose representatives: age, weak link and low battery all add. */
function scoreRisk(ageYears: number, snr: number | null | undefined, batteryV: number | null | undefined): number {
  const link = snr === null || snr === undefined ? 0.5 : Math.max(0, 30 - snr) / 10;
  const battery = batteryV === null || batteryV === undefined ? 0 : Math.max(0, 3.6 - batteryV) * 2;
  return ageYears / 10 + link + battery;
}

/** Keeps the k smallest keys seen, in order; O(n) for a small k. */
function createLowest(k: number) {
  const keys: number[] = [];
  const ids: number[] = [];
  return {
    keys,
    ids,
    offer(key: number, id: number) {
      if (k === 0 || Number.isNaN(key)) return;
      if (keys.length === k && key >= keys[k - 1]) return;
      let at = keys.length;
      while (at > 0 && keys[at - 1] > key) at--;
      keys.splice(at, 0, key);
      ids.splice(at, 0, id);
      if (keys.length > k) {
        keys.pop();
        ids.pop();
      }
    },
  };
}

interface Best {
  idx: number;
  score: number;
  n: number;
}

function offerBest(map: Map<string, Best>, key: string, idx: number, score: number): void {
  const best = map.get(key);
  if (!best) map.set(key, { idx, score, n: 1 });
  else {
    best.n++;
    if (score > best.score) {
      best.idx = idx;
      best.score = score;
    }
  }
}

function pickCanary(meters: PlanMeter[], eligible: number[], size: number, nowMs: number) {
  const picks = new Map<number, string[]>();
  const notes: string[] = [];
  if (size === 0 || eligible.length === 0) return { picks, notes };
  const limit = Math.min(size, eligible.length);
  const installed = new Float64Array(meters.length);
  const bestOfPair = new Map<string, Map<string, Best>>();
  const bestOfGateway = new Map<string, Best>();
  const oldest = createLowest(limit);
  const lowestBattery = createLowest(limit);
  const lowestSnr = createLowest(limit);
  const riskiest = createLowest(limit);
  for (const i of eligible) {
    const m = meters[i];
    const at = toMs(m.installedAt);
    installed[i] = at;
    const score = scoreRisk(Number.isNaN(at) ? 0 : (nowMs - at) / YEAR_MS, m.snr, m.batteryV);
    let byComms = bestOfPair.get(m.fwMetrology);
    if (!byComms) bestOfPair.set(m.fwMetrology, (byComms = new Map()));
    offerBest(byComms, m.fwComms, i, score);
    offerBest(bestOfGateway, m.gatewayId, i, score);
    oldest.offer(at, i);
    if (m.batteryV !== null && m.batteryV !== undefined) lowestBattery.offer(m.batteryV, i);
    if (m.snr !== null && m.snr !== undefined) lowestSnr.offer(m.snr, i);
    riskiest.offer(-score, i);
  }
  const add = (idx: number, reason: string): boolean => {
    const existing = picks.get(idx);
    if (existing) {
      existing.push(reason);
      return true;
    }
    if (picks.size >= limit) return false;
    picks.set(idx, [reason]);
    return true;
  };
  const describe = {
    oldest: (i: number) => `oldest energy store: installed ${new Date(installed[i]).toISOString().slice(0, 10)}`,
    battery: (i: number) => `lowest battery: ${meters[i].batteryV} V`,
    snr: (i: number) => `lowest SNR: ${meters[i].snr} dB`,
  };
  // Coverage first: a bad firmware pair is the likeliest way to brick a cohort.
  const pairs = [...bestOfPair]
    .flatMap(([metrology, byComms]) => [...byComms].map(([comms, best]) => [`${metrology} / ${comms}`, best] as const))
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  for (const [pair, best] of pairs) add(best.idx, `riskiest meter on firmware pair ${pair} (${best.n} eligible)`);
  if (oldest.ids.length) add(oldest.ids[0], describe.oldest(oldest.ids[0]));
  if (lowestBattery.ids.length) add(lowestBattery.ids[0], describe.battery(lowestBattery.ids[0]));
  if (lowestSnr.ids.length) add(lowestSnr.ids[0], describe.snr(lowestSnr.ids[0]));
  const covered = new Map<string, number>();
  for (const idx of picks.keys()) if (!covered.has(meters[idx].gatewayId)) covered.set(meters[idx].gatewayId, idx);
  const gateways = [...bestOfGateway.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  for (const [gw, best] of gateways) {
    const already = covered.get(gw);
    if (already !== undefined) picks.get(already)!.push(`covers gateway ${gw}`);
    else if (add(best.idx, `riskiest meter on gateway ${gw} (${best.n} eligible)`)) covered.set(gw, best.idx);
  }
  const lists = [
    { ids: oldest.ids, why: describe.oldest },
    { ids: lowestBattery.ids, why: describe.battery },
    { ids: lowestSnr.ids, why: describe.snr },
    { ids: riskiest.ids, why: (i: number) => `high combined risk score ${(-riskiest.keys[riskiest.ids.indexOf(i)]).toFixed(2)}` },
  ];
  for (let rank = 1; picks.size < limit && rank < limit; rank++) {
    for (const list of lists) {
      const idx = list.ids[rank];
      if (idx !== undefined && !picks.has(idx) && picks.size < limit) picks.set(idx, [list.why(idx)]);
    }
  }
  if (pairs.length > limit) notes.push(`canary covers ${limit} of ${pairs.length} firmware pairs (canary size ${size})`);
  if (covered.size < gateways.length) notes.push(`canary covers ${covered.size} of ${gateways.length} gateways (canary size ${size})`);
  return { picks, notes };
}

interface PackedWave {
  meters: number[];
  gatewayIds: string[];
  gatewayCounts: number[];
}

/** Cuts one zone's meters into waves: <= waveSize, per gateway <= its session cap, gateways spread evenly. */
function packWaves(meters: PlanMeter[], indices: number[], caps: Map<string, number>, waveSize: number): PackedWave[] {
  const byGateway = new Map<string, number[]>();
  for (const i of indices) {
    const list = byGateway.get(meters[i].gatewayId);
    if (list) list.push(i);
    else byGateway.set(meters[i].gatewayId, [i]);
  }
  const ids = [...byGateway.keys()];
  const queues = ids.map((id) => byGateway.get(id)!);
  const capOf = ids.map((id) => caps.get(id)!);
  const pos = new Int32Array(ids.length);
  const takenNow = new Int32Array(ids.length);
  let active = ids.map((_, g) => g);
  let rot = 0;
  const waves: PackedWave[] = [];
  while (active.length) {
    const wave: number[] = [];
    const touched: number[] = [];
    let room = waveSize;
    let visited = 0;
    // First pass: an equal share per gateway, to keep any one gateway's blast small; second pass fills up.
    for (const quota of [Math.max(1, Math.ceil(waveSize / active.length)), Infinity]) {
      for (let k = 0; k < active.length && room > 0; k++) {
        const g = active[(rot + k) % active.length];
        if (quota !== Infinity) visited = k + 1;
        const take = Math.min(capOf[g] - takenNow[g], quota - takenNow[g], queues[g].length - pos[g], room);
        if (take <= 0) continue;
        if (takenNow[g] === 0) touched.push(g);
        for (let t = 0; t < take; t++) wave.push(queues[g][pos[g] + t]);
        pos[g] += take;
        takenNow[g] += take;
        room -= take;
      }
      if (room === 0) break;
    }
    const gatewayIds = touched.map((g) => ids[g]);
    const gatewayCounts = touched.map((g) => takenNow[g]);
    for (const g of touched) takenNow[g] = 0;
    waves.push({ meters: wave, gatewayIds, gatewayCounts });
    rot = (rot + visited) % active.length;
    if (active.some((g) => pos[g] >= queues[g].length)) {
      const next = active.filter((g) => pos[g] < queues[g].length);
      rot = next.length ? rot % next.length : 0;
      active = next;
    }
  }
  return waves;
}

function groupByZone(meters: PlanMeter[], indices: Iterable<number>): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  for (const i of indices) {
    const list = groups.get(meters[i].timezone);
    if (list) list.push(i);
    else groups.set(meters[i].timezone, [i]);
  }
  return new Map([...groups.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
}

export function planCampaign(input: PlanInput, now: Date): Plan {
  const { spec, waveSize, canarySize, startAtMs, rules, targetFirmware } = readOptions(input);
  const { meters } = input;
  const nowMs = now.getTime();
  const waveMs = spec.minutesPerMeter * MINUTE_MS;
  const soakMs = spec.soakMinutes * MINUTE_MS;
  const preflight = createPreflight({ jobType: input.jobType, catalogue: input.catalogue, targetFirmware }, now);

  const exclusions: Exclusion[] = [];
  const eligible: number[] = [];
  const caps = new Map<string, number>();
  const gatewayPopulation = new Map<string, number>();
  const gatewayState = new Map<string, { population: number; problem: Reason | null }>();
  const zoneProblem = new Map<string, Reason | null>();
  for (let i = 0; i < meters.length; i++) {
    const m = meters[i];
    let gwState = gatewayState.get(m.gatewayId);
    if (!gwState) {
      const gw = input.gateways[m.gatewayId];
      const problem: Reason | null = !gw
        ? { code: "GATEWAY_UNKNOWN", message: `gateway ${m.gatewayId} is not known, so its session limit cannot be honoured` }
        : !(gw.maxConcurrentSessions >= 1)
          ? { code: "GATEWAY_NO_SESSIONS", message: `gateway ${m.gatewayId} allows no concurrent sessions` }
          : null;
      if (!problem) caps.set(m.gatewayId, Math.floor(gw.maxConcurrentSessions));
      gatewayState.set(m.gatewayId, (gwState = { population: 0, problem }));
    }
    gwState.population++;
    const gwProblem = gwState.problem;
    let tzProblem = zoneProblem.get(m.timezone);
    if (tzProblem === undefined) {
      tzProblem = isValidTimeZone(m.timezone) ? null : { code: "TIMEZONE_INVALID", message: `"${m.timezone}" is not an IANA time zone; local windows cannot be computed` };
      zoneProblem.set(m.timezone, tzProblem);
    }
    const check = preflight(m);
    if (check.ok && gwProblem === null && tzProblem === null) {
      eligible.push(i);
      continue;
    }
    const reasons: Reason[] = [];
    if (gwProblem) reasons.push(gwProblem);
    if (tzProblem) reasons.push(tzProblem);
    if (!check.ok) reasons.push(...check.reasons);
    exclusions.push({ meterId: m.id, stage: "preflight", reasons });
  }

  for (const [id, state] of gatewayState) gatewayPopulation.set(id, state.population);

  const { picks, notes } = pickCanary(meters, eligible, canarySize, nowMs);
  const canary: CanaryPick[] = [...picks.entries()].map(([i, reasons]) => ({ meterId: meters[i].id, reasons }));
  // A flag per meter instead of a Map lookup per eligible meter (1 M lookups took ~100 ms).
  let mainIndices = eligible;
  if (picks.size) {
    const isPick = new Uint8Array(meters.length);
    for (const i of picks.keys()) isPick[i] = 1;
    mainIndices = eligible.filter((i) => isPick[i] === 0);
  }

  let cursor = Math.ceil(Math.max(nowMs, Number.isNaN(startAtMs) ? nowMs : startAtMs) / MINUTE_MS) * MINUTE_MS;
  const anyTime = isAnyTime(rules);
  const finders = new Map<string, SlotFinder>();
  const getFinder = (tz: string) => {
    let finder = finders.get(tz);
    if (!finder) finders.set(tz, (finder = createSlotFinder(tz, rules, cursor)));
    return finder;
  };

  const waves: Wave[] = [];
  const windowUses = new Map<string, { use: WindowUse; dates: Set<string> }>();
  const kinds = new Set<string>();
  const zones = new Set<string>();
  let scheduledMeters = 0;
  const metersPerGateway: Record<string, number> = {};
  let maxGatewayShare: BlastRadius["maxGatewayShare"] = null;
  for (const [isCanary, indices] of [
    [true, [...picks.keys()]],
    [false, mainIndices],
  ] as const) {
    const groups = [...groupByZone(meters, indices)].map(([tz, members]) => ({
      tz,
      finder: getFinder(tz),
      waves: packWaves(meters, members, caps, waveSize),
      next: 0,
      lastUsed: -1,
    }));
    for (;;) {
      let best: { group: (typeof groups)[number]; slot: NonNullable<ReturnType<SlotFinder["findSlot"]>> } | null = null;
      for (const group of groups) {
        if (group.next >= group.waves.length) continue;
        const slot = group.finder.findSlot(cursor, waveMs);
        if (!slot) {
          for (const w of group.waves.slice(group.next)) {
            for (const i of w.meters) {
              exclusions.push({
                meterId: meters[i].id,
                stage: "schedule",
                reasons: [{ code: "NO_WINDOW", message: `no ${spec.minutesPerMeter}-minute slot in ${group.finder.label} (${group.tz}) within the search horizon` }],
              });
            }
          }
          group.next = group.waves.length;
          continue;
        }
        // On a tie, rotate between zones so no single region carries a run of consecutive waves.
        if (!best || slot.start < best.slot.start || (slot.start === best.slot.start && group.lastUsed < best.group.lastUsed)) {
          best = { group, slot };
        }
      }
      if (!best) break;
      const { group, slot } = best;
      const packed = group.waves[group.next++];
      group.lastUsed = waves.length;
      const end = slot.start + waveMs;
      const localDate = group.finder.getWindowDate(slot);
      const waveGateways: Record<string, number> = {};
      for (let k = 0; k < packed.gatewayIds.length; k++) waveGateways[packed.gatewayIds[k]] = packed.gatewayCounts[k];
      waves.push({
        index: waves.length,
        isCanary,
        timezone: group.tz,
        meterIds: packed.meters.map((i) => meters[i].id),
        startAt: new Date(slot.start).toISOString(),
        endAt: new Date(end).toISOString(),
        soakEndsAt: new Date(end + soakMs).toISOString(),
        localStart: group.finder.formatLocal(slot.start),
        localEnd: group.finder.formatLocal(end),
        window: { localDate, label: rules.label },
        windowStart: anyTime ? null : new Date(slot.windowStart).toISOString(),
        windowEnd: anyTime ? null : new Date(slot.windowEnd).toISOString(),
        metersPerGateway: waveGateways,
      });
      for (let k = 0; k < packed.gatewayIds.length; k++) {
        const gw = packed.gatewayIds[k];
        const n = packed.gatewayCounts[k];
        metersPerGateway[gw] = (metersPerGateway[gw] ?? 0) + n;
        const population = gatewayPopulation.get(gw)!;
        if (!maxGatewayShare || n / population > maxGatewayShare.share) {
          maxGatewayShare = { gatewayId: gw, waveIndex: waves.length - 1, meters: n, gatewayMeters: population, share: n / population };
        }
      }
      let use = windowUses.get(group.tz);
      if (!use) windowUses.set(group.tz, (use = { use: { timezone: group.tz, label: rules.label, localDates: [], waveCount: 0 }, dates: new Set() }));
      use.use.waveCount++;
      if (!use.dates.has(localDate)) {
        use.dates.add(localDate);
        use.use.localDates.push(localDate);
      }
      for (const i of packed.meters) {
        kinds.add(meters[i].kind);
        zones.add(meters[i].zone);
      }
      scheduledMeters += packed.meters.length;
      cursor = end + soakMs;
    }
  }

  const summary = summarize(waves, {
    metersPerGateway,
    maxGatewayShare,
    scheduledMeters,
    excludedMeters: exclusions.length,
    windowsUsed: [...windowUses.values()].map((u) => u.use),
    kinds: [...kinds].sort(),
    zones: [...zones].sort(),
  });
  const requiresApproval = needsApproval(input.jobType, summary.scheduledMeters);
  if (requiresApproval) notes.push(`${summary.scheduledMeters} meters exceeds ${spec.approvalAbove} for ${input.jobType}: a second approver is required`);
  return {
    jobType: input.jobType,
    plannedAt: now.toISOString(),
    settings: { waveSize, canarySize, waveMinutes: spec.minutesPerMeter, soakMinutes: spec.soakMinutes, windowLabel: rules.label },
    requiresApproval,
    exclusions,
    canary,
    waves,
    summary,
    notes,
  };
}

function summarize(
  waves: Wave[],
  facts: Pick<PlanSummary, "scheduledMeters" | "excludedMeters" | "windowsUsed" | "metersPerGateway"> & Pick<BlastRadius, "maxGatewayShare" | "kinds" | "zones">,
): PlanSummary {
  // Sweep over wave intervals: waves never overlap today, but the figure must stay true if they do.
  const events: Array<[number, number]> = [];
  for (const w of waves) {
    events.push([Date.parse(w.startAt), w.meterIds.length], [Date.parse(w.endAt), -w.meterIds.length]);
  }
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let inFlight = 0;
  let maxMetersInFlight = 0;
  for (const [, delta] of events) maxMetersInFlight = Math.max(maxMetersInFlight, (inFlight += delta));
  return {
    waveCount: waves.length,
    canaryWaveCount: waves.filter((w) => w.isCanary).length,
    scheduledMeters: facts.scheduledMeters,
    excludedMeters: facts.excludedMeters,
    metersPerGateway: facts.metersPerGateway,
    eta: waves.length ? waves[waves.length - 1].endAt : null,
    windowsUsed: facts.windowsUsed,
    blastRadius: { maxMetersInFlight, maxGatewayShare: facts.maxGatewayShare, kinds: facts.kinds, zones: facts.zones },
  };
}

// ---------------------------------------------------------------- re-timing a frozen plan

/** A wave still to run: its zone (legacy retry waves stored "retry", no zone) and its planned start. */
export interface WaveToTime {
  index: number;
  timezone: string;
}

export interface WaveTiming {
  index: number;
  startAt: Date;
  windowStart: Date | null;
  windowEnd: Date | null;
}

/**
 * New start times for a frozen plan's remaining waves, from `now`: the same rules as planCampaign
 * (each wave's whole run inside its zone's allowed window, the next one after the previous run and
 * its soak), the meters unchanged. Used when a plan is approved, started or resumed after its time.
 * A wave without a valid zone (a legacy "retry" row) is placed at the cursor. Throws PlanInputError NO_WINDOW.
 */
export function retimeWaves(input: { jobType: JobType; options?: PlanOptions; soakMinutes?: number; waves: WaveToTime[] }, now: Date): WaveTiming[] {
  const { spec, startAtMs, rules } = readOptions({ jobType: input.jobType, meters: [], gateways: {}, options: input.options });
  const waveMs = spec.minutesPerMeter * MINUTE_MS;
  const soakMs = (input.soakMinutes ?? spec.soakMinutes) * MINUTE_MS;
  const anyTime = isAnyTime(rules);
  let cursor = Math.ceil(Math.max(now.getTime(), Number.isNaN(startAtMs) ? 0 : startAtMs) / MINUTE_MS) * MINUTE_MS;
  const finders = new Map<string, SlotFinder>();
  const out: WaveTiming[] = [];
  for (const w of [...input.waves].sort((a, b) => a.index - b.index)) {
    if (anyTime || !isValidTimeZone(w.timezone)) {
      out.push({ index: w.index, startAt: new Date(cursor), windowStart: null, windowEnd: null });
      cursor += waveMs + soakMs;
      continue;
    }
    let finder = finders.get(w.timezone);
    if (!finder) finders.set(w.timezone, (finder = createSlotFinder(w.timezone, rules, cursor)));
    const slot = finder.findSlot(cursor, waveMs);
    if (!slot) throw new PlanInputError("NO_WINDOW", `wave ${w.index}: no ${spec.minutesPerMeter}-minute slot in ${rules.label} (${w.timezone}) within the search horizon`);
    out.push({ index: w.index, startAt: new Date(slot.start), windowStart: new Date(slot.windowStart), windowEnd: new Date(slot.windowEnd) });
    cursor = slot.start + waveMs + soakMs;
  }
  return out;
}

/** How late a wave may start and still count as inside its window (the dispatcher's tick lag). */
export const WAVE_START_GRACE_MS = 5 * MINUTE_MS;

export type WaveStartCheck = { ok: true } | { ok: false; next: { startAt: Date; windowStart: Date; windowEnd: Date } | null };

/**
 * The dispatcher's check at wave start: may this wave start at `at` (its run, less the grace, inside
 * an allowed interval of its zone: off-peak, maintenance windows, not a blackout date)? If not, the
 * next slot where its whole run fits, or null when none lies within the search horizon.
 * Returns null for rules that allow any time (nothing to check).
 */
export function createWaveStartCheck(
  jobType: JobType,
  options?: PlanOptions,
): ((wave: { timezone: string; windowStart: Date | null; windowEnd: Date | null }, at: Date) => WaveStartCheck) | null {
  const { spec, rules } = readOptions({ jobType, meters: [], gateways: {}, options });
  if (isAnyTime(rules)) return null;
  const waveMs = spec.minutesPerMeter * MINUTE_MS;
  const needMs = Math.max(MINUTE_MS, waveMs - WAVE_START_GRACE_MS);
  return (wave, at) => {
    if (!isValidTimeZone(wave.timezone)) return { ok: true }; // a legacy "retry" row, stored before retries had zones: nothing to check against
    const t = at.getTime();
    // The stored window answers the usual case without building the zone's intervals.
    if (wave.windowStart && wave.windowEnd && t >= wave.windowStart.getTime() && t + needMs <= wave.windowEnd.getTime()) return { ok: true };
    const finder = createSlotFinder(wave.timezone, rules, t);
    const now = finder.findSlot(t, needMs);
    if (now && now.start === t) return { ok: true };
    const next = finder.findSlot(Math.ceil(t / MINUTE_MS) * MINUTE_MS, waveMs);
    return { ok: false, next: next && { startAt: new Date(next.start), windowStart: new Date(next.windowStart), windowEnd: new Date(next.windowEnd) } };
  };
}
