// One simulated world that the log stream (events.ts) and the simulated head-end
// (lib/hes/simulator-hes.ts) both read: a meter's link, battery, supercap, firmware
// pair, certificate, tamper state and calibration error, a gateway's interference and
// the scripted incidents. What the stream reports and what a step finds follow from the
// same facts; commands and field work change them here, for both.
import type { Code, Step } from "@/lib/audit/codes";
import { AppError } from "@/lib/errors";
import { clamp, findGatewayIndex, findMeterIndex, isFirmwarePairCompatible, METER_FLAGS, type Fleet } from "./fleet";
import { createRandom, type Seed } from "./random";
import { resolveScenario, type ResolvedEffect, type Scenario } from "./scenario";

/** SNR (dB) below which a mesh link is weak: the stream reports LOW_SNR and an RF analysis finds it. */
export const LOW_SNR_DB = 15;
/** dB of SNR an interferer takes at full intensity. */
export const INTERFERENCE_LOSS_DB = 20;
export const SUPERCAP_FAIL_HEALTH = 0.35;
export const BATTERY_LOW_V = 3.1;
export const ACCURACY_LIMIT_PCT = 0.2;

/** What changed on a meter since the fleet was generated (by commands or field work). */
export interface MeterState {
  fwMetrology: number;
  fwComms: number;
  isHashMismatch: boolean;
  isBricked: boolean;
  certNotAfter: number;
  accuracyErrPct: number;
  supercapHealth: number;
  batteryV: number;
  isTamperProne: boolean;
  /** The comms module hangs: no answer over RF until a comms reset. */
  isCommsStuck: boolean;
  /** dB added to the link by field work (antenna re-aimed, moved). */
  snrGainDb: number;
  hasHotJoint: boolean;
}

export interface WorldOptions {
  fleet: Fleet;
  seed?: Seed;
  /** Scripted causes with times relative to `scenarioStart` (epoch ms). */
  scenario?: Scenario;
  scenarioStart?: number;
  /** Share of meters whose comms module is stuck (answers nothing until a comms reset). */
  stuckShare?: number;
}

/** Intensity 0..1: severity, ramping up over the first quarter of the cause (at most 15 min). */
export function getIntensity(e: Pick<ResolvedEffect, "startMs" | "endMs" | "severity">, t: number): number {
  if (t < e.startMs || t >= e.endMs) return 0;
  const rampMs = Math.max(1, Math.min((e.endMs - e.startMs) / 4, 15 * 60_000));
  const ramp = clamp((t - e.startMs) / rampMs, 0, 1);
  return e.severity * (0.3 + 0.7 * ramp);
}

export class World {
  readonly fleet: Fleet;
  readonly seed: Seed;
  /** Scripted causes in absolute time (epoch ms). */
  readonly effects: ResolvedEffect[];
  private readonly states = new Map<number, MeterState>();
  /** Gateway index -> severity 0..1 set by hand (tests, an operator's what-if); adds to the incidents. */
  private readonly manualInterference = new Map<number, number>();
  /** Gateways where field work removed the interferer. */
  private readonly clearedGateways = new Set<number>();
  private readonly stuck: Set<number>;

  constructor(options: WorldOptions) {
    this.fleet = options.fleet;
    this.seed = options.seed ?? options.fleet.seed;
    const start = options.scenarioStart ?? options.fleet.now;
    this.effects = options.scenario ? resolveScenario(options.scenario, options.fleet).map((e) => ({ ...e, startMs: e.startMs + start, endMs: e.endMs + start })) : [];
    // A few comms modules hang; drawn from the world's own fork so the fleet's draws are unchanged.
    const rng = createRandom(this.seed).fork("world:stuck");
    const share = options.stuckShare ?? 0.002;
    this.stuck = new Set();
    const n = Math.round(this.fleet.meters.count * share);
    for (let k = 0; k < n; k++) this.stuck.add(rng.int(this.fleet.meters.count));
  }

  /** The meter's current facts (created from the fleet on first use). */
  getState(i: number): MeterState {
    let s = this.states.get(i);
    if (!s) {
      const m = this.fleet.meters;
      s = {
        fwMetrology: m.fwMetrology[i]!,
        fwComms: m.fwComms[i]!,
        isHashMismatch: (m.flags[i]! & METER_FLAGS.hashMismatch) !== 0,
        isBricked: false,
        certNotAfter: m.certNotAfter[i]!,
        accuracyErrPct: m.accuracyErrPct[i]!,
        supercapHealth: m.supercapHealth[i]!,
        batteryV: m.batteryV[i]!,
        isTamperProne: (m.flags[i]! & METER_FLAGS.tamperProne) !== 0,
        isCommsStuck: this.stuck.has(i),
        snrGainDb: 0,
        hasHotJoint: m.kind[i] === 0,
      };
      this.states.set(i, s);
    }
    return s;
  }

  /** Read-only view without creating a state entry (the stream asks for every line). */
  peekState(i: number): MeterState | undefined {
    return this.states.get(i);
  }

  isCommsStuck(i: number): boolean {
    return this.states.get(i)?.isCommsStuck ?? this.stuck.has(i);
  }

  findMeter(meterId: string): number {
    return findMeterIndex(this.fleet, meterId);
  }

  requireMeter(meterId: string): number {
    const i = findMeterIndex(this.fleet, meterId);
    if (i < 0) throw new AppError("not_found", `no meter ${meterId} in the simulated world`);
    return i;
  }

  /** dB of SNR lost at gateway g at time t: active interference incidents plus any set by hand. */
  getGatewayLossDb(g: number, t: number): number {
    let loss = (this.manualInterference.get(g) ?? 0) * INTERFERENCE_LOSS_DB;
    if (this.clearedGateways.has(g)) return loss;
    for (const e of this.effects) if (e.event === "interference" && e.gateway === g) loss += INTERFERENCE_LOSS_DB * getIntensity(e, t);
    return loss;
  }

  /** The meter's mesh SNR at time t: its link budget, less interference, plus field fixes. */
  getSnr(i: number, t: number): number {
    const gain = this.states.get(i)?.snrGainDb ?? 0;
    return this.fleet.meters.snr[i]! + gain - this.getGatewayLossDb(this.fleet.meters.gateway[i]!, t);
  }

  setInterference(gatewayId: string, severity: number): void {
    const g = findGatewayIndex(this.fleet, gatewayId);
    if (g < 0) throw new AppError("not_found", `no gateway ${gatewayId}`);
    if (severity > 0) this.manualInterference.set(g, clamp(severity, 0, 1));
    else this.manualInterference.delete(g);
  }

  /** Active scripted causes at t touching meter i (e.g. a firmware-pair incident on its model). */
  isInEffect(i: number, event: ResolvedEffect["event"], t: number): boolean {
    for (const e of this.effects) if (e.event === event && t >= e.startMs && t < e.endMs && e.meters.includes(i)) return true;
    return false;
  }

  /**
   * Whether meter i still has the condition behind a fault code at time t. The stream asks this
   * before reporting a fault from a cohort, so a fixed meter stops reporting it.
   */
  hasCondition(i: number, code: Code, t: number): boolean {
    const s = this.states.get(i);
    if (!s) return true; // untouched meters have the conditions the cohorts were built from
    const f = this.fleet;
    switch (code) {
      case "SUPERCAP_FAIL":
        return s.supercapHealth < 0.5;
      case "BATTERY_LOW":
        return s.batteryV < BATTERY_LOW_V;
      case "E001":
        return s.accuracyErrPct > ACCURACY_LIMIT_PCT;
      case "CERT_EXPIRED":
        return s.certNotAfter < t;
      case "IPC_ERROR":
        return !isFirmwarePairCompatible(f.metrologyVersions[s.fwMetrology]!, f.commsVersions[s.fwComms]!);
      case "FW_HASH_MISMATCH":
        return s.isHashMismatch;
      case "E042":
        return s.isTamperProne;
      case "LOW_SNR":
        return this.getSnr(i, t) < LOW_SNR_DB;
      case "E105":
        return s.isCommsStuck || this.getSnr(i, t) < LOW_SNR_DB;
      case "HOTSPOT":
        return s.hasHotJoint;
      default:
        return true;
    }
  }

  /**
   * A work order done in the field changes the world: the stream stops reporting the fault
   * and the head-end's next step finds the meter fixed. `code` is the fault the order was
   * for (a follow-up inspect of a LOW_SNR finding re-aims the antenna; of SUPERCAP_FAIL,
   * replaces the supercap). Returns what changed, in words; [] when nothing applied.
   */
  applyFieldFix(meterId: string, jobType: Step, code?: Code): string[] {
    const i = this.requireMeter(meterId);
    const s = this.getState(i);
    const m = this.fleet.meters;
    const changed: string[] = [];
    const fixSupercap = () => {
      if (m.kind[i] !== 0) return;
      s.supercapHealth = 1;
      changed.push("supercap replaced");
    };
    const fixBattery = () => {
      if (m.kind[i] === 0) return;
      s.batteryV = 3.65;
      changed.push("battery replaced");
    };
    const fixLink = () => {
      const snr = this.getSnr(i, Date.now());
      s.snrGainDb += Math.max(6, LOW_SNR_DB + 5 - snr);
      changed.push("antenna re-aimed");
    };
    switch (code) {
      case "SUPERCAP_FAIL":
      case "LAST_GASP":
        fixSupercap();
        break;
      case "BATTERY_LOW":
        fixBattery();
        break;
      case "LOW_SNR":
      case "E105":
        fixLink();
        if (s.isCommsStuck) {
          s.isCommsStuck = false;
          changed.push("comms module power-cycled");
        }
        break;
      case "E042":
        s.isTamperProne = false;
        changed.push("seal replaced");
        break;
      case "HOTSPOT":
        s.hasHotJoint = false;
        changed.push("terminals re-torqued");
        break;
      case "E001":
        s.accuracyErrPct = 0.02;
        changed.push("recalibrated");
        break;
      default:
        break;
    }
    if (changed.length === 0) {
      if (jobType === "calibrate") {
        s.accuracyErrPct = 0.02;
        changed.push("recalibrated");
      } else if (jobType === "battery_audit") {
        fixBattery();
        fixSupercap();
      } else if (jobType === "inspect") {
        if (s.isTamperProne) {
          s.isTamperProne = false;
          changed.push("seal replaced");
        }
        if (s.hasHotJoint) {
          s.hasHotJoint = false;
          changed.push("terminals re-torqued");
        }
      } else if (jobType === "comms_reset" && s.isCommsStuck) {
        s.isCommsStuck = false;
        changed.push("comms module power-cycled");
      }
    }
    return changed;
  }

  /** The interferer near a gateway found and removed (the RF crew's fix for the whole gateway). */
  clearInterference(gatewayId: string): void {
    const g = findGatewayIndex(this.fleet, gatewayId);
    if (g < 0) throw new AppError("not_found", `no gateway ${gatewayId}`);
    this.clearedGateways.add(g);
    this.manualInterference.delete(g);
  }
}

export function createWorld(options: WorldOptions): World {
  return new World(options);
}

const globalForWorld = globalThis as unknown as { __amiWorld?: World };

/** The process-wide world (the demo's): the live stream and the simulated head-end share it. */
export function getSharedWorld(): World | null {
  return globalForWorld.__amiWorld ?? null;
}

export function setSharedWorld(world: World | null): void {
  globalForWorld.__amiWorld = world ?? undefined;
}
