// A deterministic stream of audit lines (shared/spec/audit-log.md) whose faults follow causes
// a root-cause analysis can find: chronic cohorts in the fleet data (old dividers, expired
// certificates, incompatible firmware, weak links, a 4.1.3 TLS stack) plus scenario causes.
import { CODES, STEPS, type Code, type LedState, type Severity, type Step } from "@/lib/audit/codes";
import { compareVersions, clamp, getBuildSha256, getMeterId, getTamperedSha256, isFirmwarePairCompatible, METER_FLAGS, YEAR_MS, type Fleet } from "./fleet";
import { createRandom, type Random, type Seed } from "./random";
import { getUtcOffsetMinutes, REGION_TIMEZONES, type RegionTimezone } from "./region";
import { createDefaultScenario, resolveScenario, type ResolvedEffect, type Scenario } from "./scenario";
import { getIntensity, type World } from "./world";

export interface StreamEvent {
  /** Event time at the meter, epoch ms UTC. */
  ts: number;
  line: string;
}

export interface EventStreamInput {
  fleet: Fleet;
  seed: Seed;
  start: number | Date;
  /** Mean lines per second of event time (Poisson arrivals). */
  ratePerSec: number;
  /** A scenario, "default" (one of each cause, picked by seed) or "none" (chronic causes only). */
  scenario?: Scenario | "default" | "none";
  /**
   * The world the lines describe: its incidents join the scenario's, links follow its
   * interference and field fixes, and a fixed meter stops reporting the fault.
   */
  world?: World;
  /**
   * "dense" (default): faults are shares of the lines, so a short stream shows every cause.
   * "fleet": faults are events per meter per day, as in a real fleet (the demo's history).
   */
  density?: "dense" | "fleet";
}

type SourceKind =
  | "heartbeat"
  | "step_ok"
  | "E105"
  | "LOW_SNR"
  | "E001"
  | "E042"
  | "CERT_EXPIRED"
  | "IPC_ERROR"
  | "TLS_HANDSHAKE"
  | "HES_TIMEOUT"
  | "LAST_GASP"
  | "SUPERCAP_FAIL"
  | "BATTERY_LOW"
  | "HOTSPOT"
  | "FOTA_FAILED"
  | "FW_HASH_MISMATCH"
  | "fota_step_ok";

interface Source {
  kind: SourceKind;
  /** Share of lines when active (before scenario intensity). */
  rate: number;
  /** Meters the source draws from; null = the whole fleet. */
  pool: Int32Array | null;
  effect: ResolvedEffect | null;
  weight: number;
}

/** Fields of one line, written in spec key order by the formatters. */
interface Fields {
  meter: number;
  code: Code;
  sev?: Severity;
  led?: LedState;
  step?: Step;
  job?: string;
  result?: "ok" | "fail" | "timeout" | "skipped";
  rssi?: number;
  lqi?: number;
  snr?: number;
  temp_c?: number;
  battery_v?: number;
  accuracy_err_pct?: number;
  fw_metrology?: string;
  fw_comms?: string;
  fw_sha256?: string;
  cert_not_after?: number;
  extra?: [string, string | number][];
  msg?: string;
}

interface Job {
  id: string;
  step: Step;
}

const SYSLOG_SEV: Record<Severity, number> = { critical: 2, error: 3, warn: 4, info: 6, debug: 7 };
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const REFRESH_EVERY = 256;

// Chronic background shares; the rest of the stream is HEARTBEAT and STEP_OK.
const CHRONIC: [SourceKind, number][] = [
  ["step_ok", 0.13],
  ["E105", 0.006],
  ["LOW_SNR", 0.012],
  ["E001", 0.005],
  ["E042", 0.0015],
  ["CERT_EXPIRED", 0.006],
  ["IPC_ERROR", 0.004],
  ["TLS_HANDSHAKE", 0.004],
  ["HES_TIMEOUT", 0.003],
  ["LAST_GASP", 0.004],
  ["SUPERCAP_FAIL", 0.0015],
  ["BATTERY_LOW", 0.008],
  ["HOTSPOT", 0.003],
  ["FOTA_FAILED", 0.0015],
  ["FW_HASH_MISMATCH", 0.0006],
];

// What each scripted cause adds while it is active, scaled by severity and ramp.
const EFFECT_SOURCES: Record<ResolvedEffect["event"], [SourceKind, number][]> = {
  interference: [
    ["E105", 0.05],
    ["LOW_SNR", 0.015],
  ],
  heatwave: [
    ["HOTSPOT", 0.02],
    ["SUPERCAP_FAIL", 0.005],
  ],
  storm: [
    ["LAST_GASP", 0.06],
    ["SUPERCAP_FAIL", 0.006],
  ],
  tamper_burst: [["E042", 0.012]],
  firmware_cohort: [["IPC_ERROR", 0.02]],
  fota_wave: [
    ["fota_step_ok", 0.04],
    ["HES_TIMEOUT", 0.02],
    ["FOTA_FAILED", 0.003],
  ],
};

const HEARTBEAT_RATE = 0.7;

// density "fleet": chronic faults in events per fleet meter per day (each well under 1 % of
// meters a day), scripted causes in events per affected meter per hour at full intensity.
const FLEET_CHRONIC_PER_METER_DAY: Partial<Record<SourceKind, number>> = {
  E105: 0.004,
  LOW_SNR: 0.006,
  E001: 0.002,
  E042: 0.0008,
  CERT_EXPIRED: 0.003,
  IPC_ERROR: 0.002,
  TLS_HANDSHAKE: 0.004,
  HES_TIMEOUT: 0.002,
  LAST_GASP: 0.002,
  SUPERCAP_FAIL: 0.001,
  BATTERY_LOW: 0.004,
  HOTSPOT: 0.0015,
  FOTA_FAILED: 0.0005,
  FW_HASH_MISMATCH: 0.0004,
};
const FLEET_EFFECT_PER_METER_HOUR: Record<ResolvedEffect["event"], [SourceKind, number][]> = {
  interference: [
    ["E105", 0.2],
    ["LOW_SNR", 0.1],
  ],
  heatwave: [
    ["HOTSPOT", 0.03],
    ["SUPERCAP_FAIL", 0.008],
  ],
  storm: [
    ["LAST_GASP", 0.05],
    ["SUPERCAP_FAIL", 0.005],
  ],
  tamper_burst: [["E042", 0.05]],
  firmware_cohort: [["IPC_ERROR", 0.25]],
  fota_wave: [
    ["fota_step_ok", 0.5],
    ["HES_TIMEOUT", 0.2],
    ["FOTA_FAILED", 0.02],
  ],
};
const STEP_OK_SHARE = 0.13;

/** Fault sources whose line says the meter has a condition of the world (checked before reporting). */
const CONDITION_CODE: Partial<Record<SourceKind, Code>> = {
  E105: "E105",
  LOW_SNR: "LOW_SNR",
  E001: "E001",
  E042: "E042",
  CERT_EXPIRED: "CERT_EXPIRED",
  IPC_ERROR: "IPC_ERROR",
  SUPERCAP_FAIL: "SUPERCAP_FAIL",
  BATTERY_LOW: "BATTERY_LOW",
  HOTSPOT: "HOTSPOT",
  FW_HASH_MISMATCH: "FW_HASH_MISMATCH",
};

export class EventStream implements IterableIterator<StreamEvent> {
  private readonly fleet: Fleet;
  private readonly rng: Random;
  private readonly startMs: number;
  private readonly meanGapMs: number;
  private t: number;
  private emitted = 0;
  private readonly effects: ResolvedEffect[];
  private readonly chronic: Source[];
  private readonly effectPools: Map<ResolvedEffect, [SourceKind, number, Int32Array][]>;
  private sources: Source[] = [];
  private totalWeight = 0;
  private nextChangeMs = Number.NEGATIVE_INFINITY;
  private readonly jobs: Job[];
  private readonly jobByStep: Record<Step, Job>;
  private readonly gatewayHesVersion: string[];
  private readonly townTz: RegionTimezone[];
  private readonly townZone: number[];
  private readonly zoneMean: number[];
  private readonly zoneSwing: number[];
  /** Per gateway: active interference intensity in dB of SNR lost. */
  private gatewayLossDb = new Map<number, number>();
  /** Per climate zone: extra enclosure °C from active heat waves. */
  private zoneHeatC = [0, 0, 0, 0];
  private tzOffsetMin: Record<RegionTimezone, number> = { "America/Chicago": -360, "America/Denver": -420 };
  private season = 0;
  private readonly hesPid: Map<string, number>;
  private readonly world: World | null;
  private readonly isFleetDensity: boolean;
  private readonly linesPerHour: number;

  constructor(input: EventStreamInput) {
    if (!(input.ratePerSec > 0)) throw new RangeError("createEventStream: ratePerSec must be > 0");
    if (input.world && input.world.fleet !== input.fleet) throw new RangeError("createEventStream: the world must be of the same fleet");
    this.fleet = input.fleet;
    this.world = input.world ?? null;
    this.isFleetDensity = input.density === "fleet";
    this.linesPerHour = input.ratePerSec * 3600;
    this.rng = createRandom(input.seed).fork("events");
    this.startMs = typeof input.start === "number" ? input.start : input.start.getTime();
    this.t = this.startMs;
    this.meanGapMs = 1000 / input.ratePerSec;
    const scenario = input.scenario ?? "default";
    const resolved = scenario === "none" ? [] : resolveScenario(scenario === "default" ? createDefaultScenario(input.fleet, input.seed) : scenario, input.fleet);
    this.effects = [...resolved.map((e) => ({ ...e, startMs: e.startMs + this.startMs, endMs: e.endMs + this.startMs })), ...(this.world?.effects ?? [])];

    const f = this.fleet;
    this.gatewayHesVersion = f.gateways.map((g) => g.hesVersion);
    const zoneIds = f.region.climateZones.map((z) => z.id);
    this.townTz = f.region.towns.map((tw) => tw.timezone);
    this.townZone = f.region.towns.map((tw) => zoneIds.indexOf(tw.climate));
    this.zoneMean = f.region.climateZones.map((z) => z.meanTempC);
    this.zoneSwing = f.region.climateZones.map((z) => z.seasonalSwingC);
    this.hesPid = new Map(f.hesInstances.map((h, i) => [h.id, 2211 + i * 137]));
    const jobRng = this.rng.fork("jobs");
    this.jobs = STEPS.map((step) => ({ id: "cmp_" + jobRng.nextUint32().toString(16).padStart(8, "0").slice(0, 4), step }));
    this.jobByStep = Object.fromEntries(this.jobs.map((j) => [j.step, j])) as Record<Step, Job>;
    this.chronic = this.createChronicSources();
    this.effectPools = this.createEffectPools();
  }

  [Symbol.iterator](): IterableIterator<StreamEvent> {
    return this;
  }

  next(): IteratorResult<StreamEvent> {
    this.t += this.rng.exponential(this.meanGapMs);
    if (this.t >= this.nextChangeMs || this.emitted % REFRESH_EVERY === 0) this.refresh();
    this.emitted++;
    const fields = this.createFields();
    const ts = Math.round(this.t);
    return { value: { ts, line: this.formatLine(ts, fields) }, done: false };
  }

  /**
   * One heartbeat from every meter, stamped within `spreadMs` before `end` (a fleet's daily
   * read: a sparse history still hears from each meter every day). Draws from the stream's own
   * random sequence, after the lines already taken.
   */
  rollCall(end: number, spreadMs: number): StreamEvent[] {
    const out: StreamEvent[] = [];
    for (let i = 0; i < this.fleet.meters.count; i++) {
      const ts = Math.floor(end - 1 - this.rng.float() * spreadMs);
      out.push({ ts, line: this.formatLine(ts, this.createHeartbeat(i)) });
    }
    return out;
  }

  /** Cohorts drawn from the fleet data: the causes that are always there. */
  private createChronicSources(): Source[] {
    const f = this.fleet;
    const m = f.meters;
    const cohort = { lowSnr: [] as number[], divider: [] as number[], cert: [] as number[], ipc: [] as number[], tls: [] as number[] };
    const more = { battery: [] as number[], supercap: [] as number[], hot: [] as number[], hash: [] as number[], tamper: [] as number[], fota: [] as number[] };
    const hotZones = new Set(["hot-dry", "hot-humid"]);
    const hotTown = f.region.towns.map((tw) => hotZones.has(tw.climate));
    const incompatible = f.metrologyVersions.map((mv) => f.commsVersions.map((cv) => !isFirmwarePairCompatible(mv, cv)));
    const tlsGateway = f.gateways.map((g) => g.hesVersion === "4.1.3");
    const fotaGateway = f.gateways.map((g) => compareVersions(g.hesVersion, "4.2.0") >= 0);
    for (let i = 0; i < m.count; i++) {
      if (m.snr[i]! < 15 || this.world?.isCommsStuck(i)) cohort.lowSnr.push(i);
      if (m.accuracyErrPct[i]! > 0.2) cohort.divider.push(i);
      if (m.certNotAfter[i]! < this.startMs) cohort.cert.push(i);
      if (incompatible[m.fwMetrology[i]!]![m.fwComms[i]!]) cohort.ipc.push(i);
      if (tlsGateway[m.gateway[i]!]) cohort.tls.push(i);
      if (m.batteryV[i]! < 3.1) more.battery.push(i);
      if (m.supercapHealth[i]! < 0.35) more.supercap.push(i);
      if (hotTown[m.town[i]!] && m.kind[i] === 0) more.hot.push(i);
      if (m.flags[i]! & METER_FLAGS.hashMismatch) more.hash.push(i);
      if (m.flags[i]! & METER_FLAGS.tamperProne) more.tamper.push(i);
      if (fotaGateway[m.gateway[i]!]) more.fota.push(i);
    }
    const pools: Partial<Record<SourceKind, number[] | null>> = {
      step_ok: null,
      E105: cohort.lowSnr,
      LOW_SNR: cohort.lowSnr,
      E001: cohort.divider,
      E042: more.tamper,
      CERT_EXPIRED: cohort.cert,
      IPC_ERROR: cohort.ipc,
      TLS_HANDSHAKE: cohort.tls,
      HES_TIMEOUT: more.fota,
      LAST_GASP: null,
      SUPERCAP_FAIL: more.supercap,
      BATTERY_LOW: more.battery,
      HOTSPOT: more.hot,
      FOTA_FAILED: more.fota,
      FW_HASH_MISMATCH: more.hash,
    };
    return CHRONIC.map(([kind, rate]) => {
      const pool = pools[kind];
      // Fleet density: a share of lines that gives the wanted events per meter per day.
      const perDay = FLEET_CHRONIC_PER_METER_DAY[kind];
      const share = kind === "step_ok" ? STEP_OK_SHARE : ((perDay ?? 0) * m.count) / (this.linesPerHour * 24);
      return { kind, rate: this.isFleetDensity ? share : rate, pool: pool ? Int32Array.from(pool) : null, effect: null, weight: 0 };
    });
  }

  /** Recompute active causes, their ramps, and the clock-derived caches. */
  private refresh(): void {
    const t = this.t;
    for (const tz of REGION_TIMEZONES) this.tzOffsetMin[tz] = getUtcOffsetMinutes(tz, t);
    const year = new Date(t).getUTCFullYear();
    const dayOfYear = (t - Date.UTC(year, 0, 1)) / 86_400_000;
    this.season = -Math.cos((2 * Math.PI * (dayOfYear - 20)) / 365.25);

    const sources: Source[] = [];
    for (const s of this.chronic) {
      s.weight = s.pool && s.pool.length === 0 ? 0 : s.rate;
      sources.push(s);
    }
    if (!this.isFleetDensity) sources.push({ kind: "heartbeat", rate: HEARTBEAT_RATE, pool: null, effect: null, weight: HEARTBEAT_RATE });
    this.gatewayLossDb = new Map();
    this.zoneHeatC = [0, 0, 0, 0];
    let nextChange = Number.POSITIVE_INFINITY;
    for (const e of this.effects) {
      if (t < e.startMs) {
        nextChange = Math.min(nextChange, e.startMs);
        continue;
      }
      if (t >= e.endMs) continue;
      nextChange = Math.min(nextChange, e.endMs);
      const intensity = getIntensity(e, t);
      if (e.event === "interference" && !this.world) this.gatewayLossDb.set(e.gateway, (this.gatewayLossDb.get(e.gateway) ?? 0) + 20 * intensity);
      if (e.event === "heatwave") this.zoneHeatC[this.fleet.region.climateZones.findIndex((z) => z.id === e.zone)] += e.riseC * intensity;
      for (const [kind, rate, pool] of this.effectPools.get(e)!) sources.push({ kind, rate, pool, effect: e, weight: rate * intensity });
    }
    if (this.world)
      for (let g = 0; g < this.fleet.gateways.length; g++) {
        const loss = this.world.getGatewayLossDb(g, t);
        if (loss > 0) this.gatewayLossDb.set(g, loss);
      }
    // Fleet density: heartbeats fill what the faults leave, so the fault shares stay as computed.
    if (this.isFleetDensity) {
      const heartbeat = Math.max(0.05, 1 - sources.reduce((a, s) => a + s.weight, 0));
      sources.push({ kind: "heartbeat", rate: heartbeat, pool: null, effect: null, weight: heartbeat });
    }
    this.nextChangeMs = nextChange;
    this.sources = sources;
    this.totalWeight = sources.reduce((a, s) => a + s.weight, 0);
  }

  /** Per cause, the meters each of its sources draws from (empty pools dropped). */
  private createEffectPools(): Map<ResolvedEffect, [SourceKind, number, Int32Array][]> {
    const m = this.fleet.meters;
    const out = new Map<ResolvedEffect, [SourceKind, number, Int32Array][]>();
    for (const e of this.effects) {
      const list: [SourceKind, number, Int32Array][] = [];
      const rates = this.isFleetDensity ? FLEET_EFFECT_PER_METER_HOUR[e.event] : EFFECT_SOURCES[e.event];
      for (const [kind, rate] of rates) {
        let pool = e.meters;
        // Supercaps that fail are the weak ones in the affected area; hotspots and last gasps are electric.
        if (kind === "SUPERCAP_FAIL") pool = pool.filter((i) => m.supercapHealth[i]! < 0.5);
        if (kind === "HOTSPOT" || kind === "LAST_GASP") pool = pool.filter((i) => m.kind[i] === 0);
        // Fleet density: the rate is per affected meter per hour.
        const share = this.isFleetDensity ? (rate * pool.length) / this.linesPerHour : rate;
        if (pool.length > 0) list.push([kind, share, pool]);
      }
      out.set(e, list);
    }
    return out;
  }

  private pickSource(): Source {
    let x = this.rng.float() * this.totalWeight;
    for (const s of this.sources) {
      x -= s.weight;
      if (x < 0) return s;
    }
    return this.sources[this.sources.length - 1]!;
  }

  private pickMeter(pool: Int32Array | null): number {
    return pool ? pool[this.rng.int(pool.length)]! : this.rng.int(this.fleet.meters.count);
  }

  /** A meter of the given kinds (0 electric, 1 gas, 2 water), by rejection from the whole fleet. */
  private pickMeterOfKind(isWanted: (kind: number) => boolean): number {
    for (let tries = 0; tries < 32; tries++) {
      const i = this.rng.int(this.fleet.meters.count);
      if (isWanted(this.fleet.meters.kind[i]!)) return i;
    }
    return this.rng.int(this.fleet.meters.count);
  }

  private createFields(): Fields {
    const source = this.pickSource();
    const condition = CONDITION_CODE[source.kind];
    // A meter whose condition was fixed in the world reports a heartbeat instead of the fault.
    if (this.world && condition && source.pool) {
      const i = this.pickMeter(source.pool);
      if (!this.world.hasCondition(i, condition, this.t)) return this.createHeartbeat(i);
      return this.createFault(source, i);
    }
    return this.createFault(source, -1);
  }

  private createHeartbeat(i: number): Fields {
    const rng = this.rng;
    const m = this.fleet.meters;
    const loss = this.gatewayLossDb.get(m.gateway[i]!) ?? 0;
    // Under heavy interference the health check itself is lost to RF timeouts.
    if (loss > 7 && rng.chance(loss / 40)) return this.createRfTimeout(i);
    const f: Fields = { meter: i, code: "HEARTBEAT", led: "green_steady", ...this.measureLink(i), temp_c: this.measureTemp(i) };
    if (m.kind[i] !== 0) f.battery_v = round2(m.batteryV[i]! + rng.normal(0, 0.01));
    else if (rng.chance(0.2)) f.accuracy_err_pct = this.measureAccuracy(i);
    if (rng.chance(0.1)) Object.assign(f, this.firmwareOf(i));
    return f;
  }

  /** One line of the source; `chosen` is a meter already drawn from its pool, or -1. */
  private createFault(source: Source, chosen: number): Fields {
    const rng = this.rng;
    const m = this.fleet.meters;
    const pick = (pool: Int32Array | null) => (chosen >= 0 ? chosen : this.pickMeter(pool));
    switch (source.kind) {
      case "heartbeat":
        return this.createHeartbeat(this.pickMeter(null));
      case "step_ok":
        return this.createStepOk(rng.pick(this.jobs));
      case "fota_step_ok": {
        const i = pick(source.pool);
        return {
          meter: i,
          code: "STEP_OK",
          led: "green_steady",
          step: "fota",
          job: this.jobByStep.fota.id,
          result: "ok",
          ...this.firmwareOf(i),
          msg: "firmware image applied and verified",
        };
      }
      case "E105":
        return this.createRfTimeout(pick(source.pool));
      case "LOW_SNR": {
        const i = pick(source.pool);
        const link = this.measureLink(i);
        link.snr = Math.min(link.snr, 14.9);
        return { meter: i, code: "LOW_SNR", ...link, msg: `mesh SNR ${link.snr} dB below 15 dB` };
      }
      case "E001": {
        const i = pick(source.pool);
        const err = this.measureAccuracy(i);
        return { meter: i, code: "E001", led: "red_blinking", accuracy_err_pct: Math.max(err, 0.21), msg: rng.pick(E001_MSGS) };
      }
      case "E042": {
        const i = pick(source.pool);
        const magnetic = rng.chance(0.6);
        return {
          meter: i,
          code: "E042",
          led: "red_steady",
          extra: [["tamper", magnetic ? "magnetic" : "casing"]],
          msg: magnetic ? "magnetic tamper sensor activated" : "casing micro-switch opened; see /dev/hw/tamper_status",
        };
      }
      case "CERT_EXPIRED": {
        const i = pick(source.pool);
        const job = rng.pick(this.jobs);
        return {
          meter: i,
          code: "CERT_EXPIRED",
          step: job.step,
          job: job.id,
          result: "fail",
          cert_not_after: Math.round(m.certNotAfter[i]!),
          msg: "session refused: /etc/ssl/certs/meter_root.crt has expired",
        };
      }
      case "IPC_ERROR": {
        const i = pick(source.pool);
        const fw = this.firmwareOf(i);
        return { meter: i, code: "IPC_ERROR", led: "amber_blinking", ...fw, msg: `metrology ${fw.fw_metrology} <-> comms ${fw.fw_comms}: IPC version mismatch` };
      }
      case "TLS_HANDSHAKE": {
        const i = pick(source.pool);
        const job = rng.pick(this.jobs);
        return {
          meter: i,
          code: "TLS_HANDSHAKE",
          step: job.step,
          job: job.id,
          result: "fail",
          extra: [["hes_ver", this.gatewayHesVersion[m.gateway[i]!]!]],
          msg: 'TLS handshake failed: "unsupported protocol" (head-end OpenSSL 1.0.2)',
        };
      }
      case "HES_TIMEOUT": {
        const i = pick(source.pool);
        const max = this.fleet.gateways[m.gateway[i]!]!.maxConcurrentSessions;
        const job = source.effect ? this.jobByStep.fota : rng.pick(this.jobs);
        return {
          meter: i,
          code: "HES_TIMEOUT",
          step: job.step,
          job: job.id,
          result: "timeout",
          extra: [["sessions", `${max}/${max}`]],
          msg: "head-end gave up after 30 s: gateway sessions saturated",
        };
      }
      case "LAST_GASP": {
        const i = source.pool ? pick(source.pool) : this.pickMeterOfKind((k) => k === 0);
        return { meter: i, code: "LAST_GASP", led: "off", msg: "power failure: last gasp on supercap" };
      }
      case "SUPERCAP_FAIL": {
        const i = pick(source.pool);
        return {
          meter: i,
          code: "SUPERCAP_FAIL",
          led: "off",
          extra: [["supercap_health", round2(m.supercapHealth[i]!)]],
          msg: "supercapacitor could not hold up the last-gasp transmit",
        };
      }
      case "BATTERY_LOW": {
        const i = pick(source.pool);
        const audit = rng.chance(0.4);
        const f: Fields = { meter: i, code: "BATTERY_LOW", battery_v: Math.min(3.09, round2(m.batteryV[i]! + rng.normal(0, 0.01))) };
        if (audit) Object.assign(f, { step: "battery_audit", job: this.jobByStep.battery_audit.id, result: "fail" });
        f.msg = "battery below 3.10 V";
        return f;
      }
      case "HOTSPOT": {
        const i = pick(source.pool);
        // A high-resistance joint adds its own heat on top of the enclosure temperature.
        const temp = Math.max(60.5 + rng.float() * 3, this.measureTemp(i) + 12 + rng.float() * 14);
        return { meter: i, code: "HOTSPOT", temp_c: round1(temp), msg: "terminal block above 60 °C" };
      }
      case "FOTA_FAILED": {
        const i = pick(source.pool);
        return {
          meter: i,
          code: "FOTA_FAILED",
          led: "red_steady",
          step: "fota",
          job: this.jobByStep.fota.id,
          result: "fail",
          ...this.firmwareOf(i),
          msg: rng.pick(FOTA_MSGS),
        };
      }
      case "FW_HASH_MISMATCH": {
        const i = pick(source.pool);
        const fw = this.firmwareOf(i);
        return {
          meter: i,
          code: "FW_HASH_MISMATCH",
          step: "fw_verify",
          job: this.jobByStep.fw_verify.id,
          result: "fail",
          ...fw,
          fw_sha256: getTamperedSha256(getMeterId(this.fleet, i)),
          msg: "running build SHA-256 differs from the master repository",
        };
      }
    }
  }

  private createRfTimeout(i: number): Fields {
    const link = this.measureLink(i);
    return { meter: i, code: "E105", led: "amber_steady", ...link, extra: [["retries", 3]], msg: "RF timeout after 3 retries" };
  }

  private createStepOk(job: Job): Fields {
    const rng = this.rng;
    const m = this.fleet.meters;
    let i = job.step === "battery_audit" ? this.pickMeterOfKind((k) => k !== 0) : this.rng.int(m.count);
    // An expired certificate blocks every automated session except its renewal.
    for (let tries = 0; tries < 4 && job.step !== "cert_renew" && m.certNotAfter[i]! < this.t; tries++) i = rng.int(m.count);
    const f: Fields = { meter: i, code: "STEP_OK", step: job.step, job: job.id, result: "ok" };
    switch (job.step) {
      case "inspect":
        f.temp_c = this.measureTemp(i);
        break;
      case "calibrate":
        f.accuracy_err_pct = round3(Math.abs(rng.normal(0, 0.03)));
        break;
      case "fw_verify":
      case "fota":
        Object.assign(f, this.firmwareOf(i));
        break;
      case "rf_analysis":
        Object.assign(f, this.measureLink(i));
        break;
      case "battery_audit":
        f.battery_v = round2(Number.isNaN(m.batteryV[i]!) ? 3.6 : m.batteryV[i]!);
        break;
      case "cert_renew":
        f.cert_not_after = Math.round(this.t + 2 * YEAR_MS);
        break;
      case "comms_reset":
        break;
    }
    if (rng.chance(0.3)) f.msg = "step completed";
    return f;
  }

  private firmwareOf(i: number): Pick<Fields, "fw_metrology" | "fw_comms" | "fw_sha256"> {
    // A FOTA through the head-end changed the world's pair: the stream reports the running one.
    const state = this.world?.peekState(i);
    const mv = this.fleet.metrologyVersions[state?.fwMetrology ?? this.fleet.meters.fwMetrology[i]!]!;
    const cv = this.fleet.commsVersions[state?.fwComms ?? this.fleet.meters.fwComms[i]!]!;
    return { fw_metrology: mv, fw_comms: cv, fw_sha256: getBuildSha256(mv, cv) };
  }

  private measureLink(i: number): { rssi: number; lqi: number; snr: number } {
    const m = this.fleet.meters;
    const loss = this.gatewayLossDb.get(m.gateway[i]!) ?? 0;
    const rssi = clamp(Math.round(m.rssi[i]! + this.rng.normal(0, 1.5) - loss * 0.8), -130, 0);
    const gain = this.world?.peekState(i)?.snrGainDb ?? 0;
    const snr = clamp(round1(m.snr[i]! + gain + this.rng.normal(0, 1) - loss), -10, 45);
    const lqi = clamp(Math.round(m.lqi[i]! + this.rng.normal(0, 3) - loss * 5), 0, 255);
    return { rssi, lqi, snr };
  }

  /** Enclosure temperature: climate, season, local hour, sun load and any heat wave. */
  private measureTemp(i: number): number {
    const town = this.fleet.meters.town[i]!;
    const zone = this.townZone[town]!;
    const localHour = (((this.t / 3_600_000 + this.tzOffsetMin[this.townTz[town]!] / 60) % 24) + 24) % 24;
    const ambient = this.zoneMean[zone]! + this.zoneSwing[zone]! * this.season + 6 * Math.sin((2 * Math.PI * (localHour - 9)) / 24);
    return round1(ambient + 9 + this.zoneHeatC[zone]! + this.rng.normal(0, 1.5));
  }

  /** Divider ageing keeps drifting while the stream runs: +2 % of the error per day. */
  private measureAccuracy(i: number): number {
    const days = (this.t - this.startMs) / 86_400_000;
    return round3(Math.max(0, this.fleet.meters.accuracyErrPct[i]! * (1 + 0.02 * days) + this.rng.normal(0, 0.01)));
  }

  private formatLine(ts: number, f: Fields): string {
    const rng = this.rng;
    const m = this.fleet.meters;
    const g = m.gateway[f.meter]!;
    const gw = this.fleet.gateways[g]!;
    const tz = this.townTz[m.town[f.meter]!]!;
    const style = rng.float();
    if (style >= 0.85) return this.formatJson(ts, f, gw.id, tz);
    const body = this.formatLogfmt(ts, f, gw.id, tz);
    if (style < 0.4) return body;
    // The prefix carries head-end receive time: a few ms late, rarely off by seconds (meter RTC drift).
    const drift = rng.float();
    const recv = ts + (drift < 0.003 ? 1200 + rng.int(6000) : drift < 0.005 ? -1200 - rng.int(3000) : 2 + rng.int(40));
    const host = gw.hes;
    const pid = this.hesPid.get(host) ?? 2211;
    const iso = new Date(recv).toISOString();
    if (style < 0.58) {
      const day = Number(iso.slice(8, 10));
      return `${MONTHS[Number(iso.slice(5, 7)) - 1]} ${day < 10 ? " " + day : day} ${iso.slice(11, 19)} ${host} maintd[${pid}]: ${body}`;
    }
    if (style < 0.72) {
      const pri = 16 * 8 + SYSLOG_SEV[f.sev ?? CODES[f.code].sev];
      return `<${pri}>1 ${iso} ${host} maintd ${pid} AUDIT - ${body}`;
    }
    return `${iso} ${host} maintd[${pid}]: ${body}`;
  }

  private formatTs(ts: number, tz: RegionTimezone): string {
    const r = this.rng.float();
    if (r < 0.85) return new Date(ts).toISOString();
    if (r < 0.96) return formatIsoWithOffset(ts, this.tzOffsetMin[tz]);
    if (r < 0.99) return String(ts);
    return String(Math.floor(ts / 1000));
  }

  private formatLogfmt(ts: number, f: Fields, gw: string, tz: RegionTimezone): string {
    const rng = this.rng;
    let s = "ts=" + this.formatTs(ts, tz) + " meter=" + getMeterId(this.fleet, f.meter);
    // A dense stream drops gw on some lines (parsers must cope); a fleet's always names it, so a
    // gateway's count from the lines equals its count from the inventory on a sparse history.
    if (this.isFleetDensity || rng.float() < 0.95) s += " gw=" + gw;
    s += " code=" + f.code;
    if (rng.float() < 0.85) s += " sev=" + (f.sev ?? CODES[f.code].sev);
    if (f.led) s += " led=" + f.led;
    if (f.step) s += " step=" + f.step;
    if (f.job) s += " job=" + f.job;
    if (f.result) s += " result=" + f.result;
    if (f.rssi !== undefined) s += " rssi=" + f.rssi;
    if (f.lqi !== undefined) s += " lqi=" + f.lqi;
    if (f.snr !== undefined) s += " snr=" + f.snr;
    if (f.temp_c !== undefined) s += " temp_c=" + f.temp_c;
    if (f.battery_v !== undefined) s += " battery_v=" + f.battery_v;
    if (f.accuracy_err_pct !== undefined) s += " accuracy_err_pct=" + f.accuracy_err_pct;
    if (f.fw_metrology) s += " fw_metrology=" + f.fw_metrology;
    if (f.fw_comms) s += " fw_comms=" + f.fw_comms;
    if (f.fw_sha256) s += " fw_sha256=" + f.fw_sha256;
    if (f.cert_not_after !== undefined) s += " cert_not_after=" + new Date(f.cert_not_after).toISOString();
    if (f.extra) for (const [k, v] of f.extra) s += " " + k + "=" + quoteLogfmt(String(v));
    if (f.msg) s += " msg=" + quoteLogfmt(f.msg);
    return s;
  }

  private formatJson(ts: number, f: Fields, gw: string, tz: RegionTimezone): string {
    const tsText = this.formatTs(ts, tz);
    const o: Record<string, string | number> = {
      ts: /^\d+$/.test(tsText) ? Number(tsText) : tsText,
      meter: getMeterId(this.fleet, f.meter),
      gw,
      code: f.code,
      sev: f.sev ?? CODES[f.code].sev,
    };
    if (f.led) o.led = f.led;
    if (f.step) o.step = f.step;
    if (f.job) o.job = f.job;
    if (f.result) o.result = f.result;
    if (f.rssi !== undefined) o.rssi = f.rssi;
    if (f.lqi !== undefined) o.lqi = f.lqi;
    if (f.snr !== undefined) o.snr = f.snr;
    if (f.temp_c !== undefined) o.temp_c = f.temp_c;
    if (f.battery_v !== undefined) o.battery_v = f.battery_v;
    if (f.accuracy_err_pct !== undefined) o.accuracy_err_pct = f.accuracy_err_pct;
    if (f.fw_metrology) o.fw_metrology = f.fw_metrology;
    if (f.fw_comms) o.fw_comms = f.fw_comms;
    if (f.fw_sha256) o.fw_sha256 = f.fw_sha256;
    if (f.cert_not_after !== undefined) o.cert_not_after = new Date(f.cert_not_after).toISOString();
    if (f.extra) for (const [k, v] of f.extra) o[k] = v;
    if (f.msg) o.msg = f.msg;
    return JSON.stringify(o);
  }
}

const E001_MSGS = ["metrology checksum != reference", "calibration drift: checksum mismatch at 30 A", 'reference compare failed "15/30/60 A" sweep'];
const FOTA_MSGS = ["image write failed at block 412; meter unresponsive", "post-flash boot check failed; recovery needed", "flash-write aborted by voltage sag"];

export function quoteLogfmt(v: string): string {
  if (v !== "" && !/[\s"=\\]/.test(v)) return v;
  return '"' + v.replace(/\\/g, "\\\\").replace(/"/g, '\\"') + '"';
}

export function formatIsoWithOffset(ms: number, offsetMin: number): string {
  const local = new Date(ms + offsetMin * 60_000).toISOString().slice(0, 23);
  const sign = offsetMin < 0 ? "-" : "+";
  const abs = Math.abs(offsetMin);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

const round1 = (x: number) => Math.round(x * 10) / 10;
const round2 = (x: number) => Math.round(x * 100) / 100;
const round3 = (x: number) => Math.round(x * 1000) / 1000;

export function createEventStream(input: EventStreamInput): EventStream {
  return new EventStream(input);
}

/** The first n events of a stream, as an array (tests, seeding). */
export function takeEvents(stream: Iterator<StreamEvent>, n: number): StreamEvent[] {
  const out: StreamEvent[] = [];
  for (let k = 0; k < n; k++) out.push(stream.next().value as StreamEvent);
  return out;
}
