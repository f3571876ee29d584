// In-memory head-end: latency and RF loss follow the meter's SNR and its gateway's load; FOTA
// follows policy (HES >= 4.2.0, compatible pairs) and can brick. Random draws come from the
// idempotency key, so an outcome does not depend on which other commands interleave.
// The meters' facts (link, interference, firmware, supercap, stuck comms…) are those of a
// World (lib/simulator/world.ts), the same one the demo's log stream reports.
import { CODES, STEPS, type Code, type Step } from "@/lib/audit/codes";
import { AppError } from "@/lib/errors";
import { quoteLogfmt } from "@/lib/simulator/events";
import {
  compareVersions,
  findMeterIndex,
  getBuildSha256,
  getMeterId,
  getTamperedSha256,
  isFirmwarePairCompatible,
  MIN_FOTA_HES_VERSION,
  YEAR_MS,
  clamp,
  round,
  type Fleet,
} from "@/lib/simulator/fleet";
import { createRandom, type Random, type Seed } from "@/lib/simulator/random";
import { getDistanceKm } from "@/lib/simulator/region";
import { BATTERY_LOW_V, createWorld, LOW_SNR_DB, SUPERCAP_FAIL_HEALTH, type MeterState, type World } from "@/lib/simulator/world";
import { realClock, type AuditLineListener, type Clock, type CommandOutcome, type FirmwareHash, type HesAdapter, type HesCommand, type NeighbourEntry } from "./adapter";

export interface SimulatorHesOptions {
  fleet: Fleet;
  seed?: Seed;
  clock?: Clock;
  /** Multiplies every simulated duration, timeouts included: 1 = realistic, 0 = instant. */
  latencyScale?: number;
  defaultTimeoutMs?: number;
  /** Share of FOTA attempts that brick the meter on a good link (tripled below 15 dB SNR). */
  fotaFailureRate?: number;
  /** Share of sessions through a 4.1.3 head-end whose TLS handshake fails (its OpenSSL mismatch). */
  tlsFailureRate?: number;
  /** Gateway id -> interference severity 0..1 at start. */
  interference?: Record<string, number>;
  /** The world whose facts the answers follow; default: one of its own over `fleet`, without incidents. */
  world?: World;
}

interface KeyRecord {
  meterId: string;
  step: Step;
  promise: Promise<CommandOutcome>;
  outcome: CommandOutcome | null;
  appliedCount: number;
}

const BASE_LATENCY_MS: Record<Step, number> = {
  inspect: 400,
  calibrate: 2500,
  fw_verify: 900,
  rf_analysis: 700,
  battery_audit: 400,
  comms_reset: 1500,
  fota: 12_000,
  cert_renew: 1200,
};
const RF_ATTEMPTS = 3;

export class SimulatorHes implements HesAdapter {
  readonly fleet: Fleet;
  private readonly seed: Seed;
  private readonly clock: Clock;
  private readonly latencyScale: number;
  private readonly defaultTimeoutMs: number;
  private readonly fotaFailureRate: number;
  private readonly tlsFailureRate: number;
  private readonly inFlight: Uint16Array;
  readonly world: World;
  private readonly keys = new Map<string, KeyRecord>();
  private readonly listeners = new Set<AuditLineListener>();
  private gatewayMeters: { offsets: Uint32Array; meters: Uint32Array } | null = null;

  constructor(options: SimulatorHesOptions) {
    this.fleet = options.fleet;
    this.seed = options.seed ?? "hes";
    this.clock = options.clock ?? realClock;
    this.latencyScale = Math.max(0, options.latencyScale ?? 1);
    this.defaultTimeoutMs = options.defaultTimeoutMs ?? 30_000;
    this.fotaFailureRate = options.fotaFailureRate ?? 0.02;
    this.tlsFailureRate = options.tlsFailureRate ?? 0.35;
    this.inFlight = new Uint16Array(this.fleet.gateways.length);
    if (options.world && options.world.fleet !== options.fleet) throw new AppError("invalid", "the head-end's world must be of its fleet");
    this.world = options.world ?? createWorld({ fleet: this.fleet, seed: this.seed, stuckShare: 0 });
    for (const [id, severity] of Object.entries(options.interference ?? {})) this.setInterference(id, severity);
  }

  sendCommand(command: HesCommand): Promise<CommandOutcome> {
    const existing = this.keys.get(command.idempotencyKey);
    if (existing) {
      if (existing.meterId !== command.meterId || existing.step !== command.step)
        throw new AppError("conflict", `idempotency key ${command.idempotencyKey} was used for ${existing.step} on ${existing.meterId}`);
      return existing.promise;
    }
    if (!(STEPS as readonly string[]).includes(command.step)) throw new AppError("invalid", `unknown step "${command.step}"`);
    const index = this.requireMeter(command.meterId);
    if (command.step === "fota") this.getFotaTarget(this.getState(index), command.params);
    const record: KeyRecord = { meterId: command.meterId, step: command.step, promise: null!, outcome: null, appliedCount: 0 };
    this.keys.set(command.idempotencyKey, record);
    record.promise = this.execute(index, command, record).then((outcome) => (record.outcome = outcome));
    return record.promise;
  }

  async getOutcome(idempotencyKey: string): Promise<CommandOutcome | null> {
    const record = this.keys.get(idempotencyKey);
    return record ? (record.outcome ?? record.promise) : null;
  }

  /** How many times the command under this key changed the meter (0 or 1; tests read it). */
  getAppliedCount(idempotencyKey: string): number {
    return this.keys.get(idempotencyKey)?.appliedCount ?? 0;
  }

  getInFlight(gatewayId: string): number {
    const g = this.fleet.gateways.findIndex((gw) => gw.id === gatewayId);
    return g < 0 ? 0 : this.inFlight[g]!;
  }

  setInterference(gatewayId: string, severity: number): void {
    this.world.setInterference(gatewayId, severity);
  }

  private lossDb(g: number): number {
    return this.world.getGatewayLossDb(g, this.clock.now());
  }

  isBricked(meterId: string): boolean {
    return this.getState(this.requireMeter(meterId)).isBricked;
  }

  async getNeighbourTable(meterId: string): Promise<NeighbourEntry[]> {
    const i = this.requireMeter(meterId);
    const m = this.fleet.meters;
    const g = m.gateway[i]!;
    const gw = this.fleet.gateways[g]!;
    const rng = createRandom(this.seed).fork("neighbours:" + meterId);
    const loss = this.lossDb(g);
    const { offsets, meters } = this.getGatewayMeters();
    const peers: { d: number; j: number }[] = [];
    const from = offsets[g]!;
    const size = offsets[g + 1]! - from;
    for (let k = 0; k < Math.min(64, size); k++) {
      const j = meters[from + (size <= 64 ? k : rng.int(size))]!;
      if (j !== i && !peers.some((p) => p.j === j)) peers.push({ d: getDistanceKm(m.lat[i]!, m.lon[i]!, m.lat[j]!, m.lon[j]!), j });
    }
    peers.sort((a, b) => a.d - b.d);
    const entry = (neighbour: string, km: number): NeighbourEntry => {
      const rssi = clamp(Math.round(-58 - 22 * Math.log10(Math.max(km, 0.05) / 0.05) + rng.normal(0, 2) - loss * 0.8), -130, 0);
      const snr = rssi + 112 - loss * 0.2;
      return { neighbour, rssi, lqi: clamp(Math.round(255 / (1 + Math.exp(-(snr - 8) / 4))), 0, 255) };
    };
    const table = [entry(gw.id, getDistanceKm(m.lat[i]!, m.lon[i]!, gw.lat, gw.lon))];
    for (const p of peers.slice(0, 5)) table.push(entry(getMeterId(this.fleet, p.j), p.d));
    return table.sort((a, b) => b.rssi - a.rssi);
  }

  async getFirmwareHash(meterId: string): Promise<FirmwareHash> {
    const s = this.getState(this.requireMeter(meterId));
    const fwMetrology = this.fleet.metrologyVersions[s.fwMetrology]!;
    const fwComms = this.fleet.commsVersions[s.fwComms]!;
    return { fwMetrology, fwComms, sha256: s.isHashMismatch ? getTamperedSha256(meterId) : getBuildSha256(fwMetrology, fwComms) };
  }

  subscribe(listener: AuditLineListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private requireMeter(meterId: string): number {
    const i = findMeterIndex(this.fleet, meterId);
    if (i < 0) throw new AppError("not_found", `no meter ${meterId} behind this head-end`);
    return i;
  }

  private getState(i: number): MeterState {
    return this.world.getState(i);
  }

  private getGatewayMeters() {
    if (!this.gatewayMeters) {
      const m = this.fleet.meters;
      const offsets = new Uint32Array(this.fleet.gateways.length + 1);
      for (let i = 0; i < m.count; i++) offsets[m.gateway[i]! + 1]!++;
      for (let g = 0; g < this.fleet.gateways.length; g++) offsets[g + 1]! += offsets[g]!;
      const cursor = offsets.slice(0, -1);
      const meters = new Uint32Array(m.count);
      for (let i = 0; i < m.count; i++) meters[cursor[m.gateway[i]!]!++] = i;
      this.gatewayMeters = { offsets, meters };
    }
    return this.gatewayMeters;
  }

  private async execute(i: number, cmd: HesCommand, record: KeyRecord): Promise<CommandOutcome> {
    const rng = createRandom(this.seed).fork("cmd:" + cmd.idempotencyKey);
    const m = this.fleet.meters;
    const g = m.gateway[i]!;
    const gw = this.fleet.gateways[g]!;
    const timeoutMs = cmd.timeoutMs ?? this.defaultTimeoutMs;
    const state = this.getState(i);

    // Policy refusals: the head-end declines before opening a session.
    const refusal = this.checkRefusal(gw.hesVersion, state, cmd);
    if (refusal) {
      this.emit(i, cmd, refusal.code, "skipped", { msg: refusal.message, sev: "warn" });
      return refusal;
    }

    this.inFlight[g]!++;
    const load = this.inFlight[g]! / gw.maxConcurrentSessions;
    try {
      // Past its session limit the gateway queues; deep queues outlive the caller's timeout.
      if (load > 1 && rng.chance(Math.min(0.95, 0.25 + (load - 1) * 0.75))) return await this.timeOut(i, cmd, timeoutMs, load);
      const snr = this.world.getSnr(i, this.clock.now());
      const pLoss = 1 / (1 + Math.exp((snr - 12) / 2.5));
      const base = BASE_LATENCY_MS[cmd.step];
      let latency = 0;
      let isDelivered = false;
      for (let attempt = 0; attempt < RF_ATTEMPTS && !isDelivered; attempt++) {
        latency += base * (1 + 2 * Math.max(0, load - 0.5)) * Math.exp(rng.normal(0, 0.3));
        isDelivered = !rng.chance(pLoss);
      }
      if (latency > timeoutMs) return await this.timeOut(i, cmd, timeoutMs, load);
      await this.clock.sleep(latency * this.latencyScale);
      // An RF analysis is the gateway's own measurement of the link: a weak link is its finding, not a lost command.
      if (!isDelivered && cmd.step !== "rf_analysis") {
        const message = `RF timeout after ${RF_ATTEMPTS} retries`;
        this.emit(i, cmd, "E105", "fail", { msg: message, led: "amber_steady", snr: round(snr, 1), rssi: Math.round(m.rssi[i]! - this.lossDb(g) * 0.8) });
        return { status: "fail", code: "E105", message };
      }
      // A hung comms module answers nothing but the reset the head-end sends through the gateway.
      if (state.isCommsStuck && cmd.step !== "comms_reset" && cmd.step !== "rf_analysis") {
        const message = "comms module not answering: no reply to 3 session requests; run a comms reset";
        this.emit(i, cmd, "E105", "fail", { msg: message, led: "amber_steady" });
        return { status: "fail", code: "E105", message };
      }
      const session = this.checkSession(gw.hesVersion, state, cmd, rng);
      if (session) {
        this.emit(i, cmd, session.code, "fail", { msg: session.message });
        return session;
      }
      record.appliedCount++;
      return this.applyStep(i, cmd, state, rng, snr);
    } finally {
      this.inFlight[g]!--;
    }
  }

  private checkRefusal(hesVersion: string, state: MeterState, cmd: HesCommand): Extract<CommandOutcome, { status: "fail" }> | null {
    if (cmd.step !== "fota") return null;
    if (compareVersions(hesVersion, MIN_FOTA_HES_VERSION) < 0)
      return { status: "fail", code: "FOTA_FAILED", refused: true, message: `refused: head-end ${hesVersion} is below ${MIN_FOTA_HES_VERSION}, needed for FOTA` };
    const target = this.getFotaTarget(state, cmd.params);
    if (!isFirmwarePairCompatible(target.metrology, target.comms))
      return {
        status: "fail",
        code: "IPC_ERROR",
        refused: true,
        message: `refused: metrology ${target.metrology} with comms ${target.comms} is incompatible; update both stacks together`,
      };
    return null;
  }

  /** Failures once a session is attempted: bricked meter, expired certificate, the 4.1.3 TLS stack. */
  private checkSession(hesVersion: string, state: MeterState, cmd: HesCommand, rng: Random): Extract<CommandOutcome, { status: "fail" }> | null {
    const isRecovery = cmd.step === "fw_verify" && cmd.params?.recovery === true;
    if (state.isBricked && !isRecovery) return { status: "fail", code: "FOTA_FAILED", message: "meter unresponsive since a failed FOTA; run fw_verify with recovery" };
    // An expired root CA blocks every automated session; renewal goes over the bootstrap channel.
    if (state.certNotAfter < this.clock.now() && cmd.step !== "cert_renew")
      return { status: "fail", code: "CERT_EXPIRED", message: "meter root CA /etc/ssl/certs/meter_root.crt has expired" };
    // An RF analysis is measured at the gateway and opens no TLS session with the meter.
    if (hesVersion === "4.1.3" && cmd.step !== "rf_analysis" && rng.chance(this.tlsFailureRate))
      return { status: "fail", code: "TLS_HANDSHAKE", message: "TLS handshake failed: head-end OpenSSL build mismatch" };
    return null;
  }

  private getFotaTarget(state: MeterState, params: Record<string, unknown> | undefined): { metrology: string; comms: string } {
    const f = this.fleet;
    const metrology = params?.metrology ?? f.metrologyVersions[state.fwMetrology]!;
    const comms = params?.comms ?? f.commsVersions[state.fwComms]!;
    if (typeof metrology !== "string" || !f.metrologyVersions.includes(metrology))
      throw new AppError("invalid", `fota: metrology must be one of ${f.metrologyVersions.join(", ")}`);
    if (typeof comms !== "string" || !f.commsVersions.includes(comms)) throw new AppError("invalid", `fota: comms must be one of ${f.commsVersions.join(", ")}`);
    return { metrology, comms };
  }

  private applyStep(i: number, cmd: HesCommand, state: MeterState, rng: Random, snr: number): CommandOutcome {
    const f = this.fleet;
    const m = f.meters;
    const fail = (code: Code, message: string, fields: Record<string, string | number> = {}): CommandOutcome => {
      this.emit(i, cmd, code, "fail", { msg: message, ...fields });
      return { status: "fail", code, message };
    };
    const ok = (details: Record<string, unknown>, fields: Record<string, string | number> = {}): CommandOutcome => {
      this.emit(i, cmd, "STEP_OK", "ok", fields);
      return { status: "ok", details };
    };
    switch (cmd.step) {
      case "fota": {
        const target = this.getFotaTarget(state, cmd.params);
        if (rng.chance(this.fotaFailureRate * (snr < 15 ? 3 : 1))) {
          state.isBricked = true;
          return fail("FOTA_FAILED", "image write failed; meter unresponsive until recovery", { led: "red_steady", fw_metrology: target.metrology, fw_comms: target.comms });
        }
        state.fwMetrology = f.metrologyVersions.indexOf(target.metrology);
        state.fwComms = f.commsVersions.indexOf(target.comms);
        state.isHashMismatch = false;
        const sha256 = getBuildSha256(target.metrology, target.comms);
        return ok({ fwMetrology: target.metrology, fwComms: target.comms, sha256 }, { fw_metrology: target.metrology, fw_comms: target.comms, fw_sha256: sha256 });
      }
      case "fw_verify": {
        const fwMetrology = f.metrologyVersions[state.fwMetrology]!;
        const fwComms = f.commsVersions[state.fwComms]!;
        if (state.isBricked) {
          // Golden image from read-only memory: the last good build comes back, verified.
          state.isBricked = false;
          state.isHashMismatch = false;
          return ok({ recovered: true, fwMetrology, fwComms }, { fw_metrology: fwMetrology, fw_comms: fwComms, msg: "booted golden image" });
        }
        if (state.isHashMismatch) return fail("FW_HASH_MISMATCH", "running build SHA-256 differs from the master repository", { fw_sha256: getTamperedSha256(cmd.meterId) });
        const sha256 = getBuildSha256(fwMetrology, fwComms);
        return ok({ fwMetrology, fwComms, sha256 }, { fw_metrology: fwMetrology, fw_comms: fwComms, fw_sha256: sha256 });
      }
      case "cert_renew": {
        state.certNotAfter = this.clock.now() + 2 * YEAR_MS;
        return ok({ certNotAfter: new Date(state.certNotAfter).toISOString() }, { cert_not_after: new Date(state.certNotAfter).toISOString() });
      }
      case "calibrate": {
        const before = round(state.accuracyErrPct, 3);
        state.accuracyErrPct = Math.abs(rng.normal(0, 0.03));
        const after = round(state.accuracyErrPct, 3);
        return ok({ accuracyErrPctBefore: before, accuracyErrPct: after }, { accuracy_err_pct: after });
      }
      case "battery_audit": {
        if (m.kind[i] === 0) {
          const health = round(state.supercapHealth, 2);
          if (health < SUPERCAP_FAIL_HEALTH) return fail("SUPERCAP_FAIL", "supercapacitor cannot carry a last-gasp message", { supercap_health: health });
          return ok({ supercapHealth: health }, { supercap_health: health });
        }
        const volts = round(state.batteryV, 2);
        if (volts < BATTERY_LOW_V) return fail("BATTERY_LOW", `battery ${volts} V below 3.10 V`, { battery_v: volts });
        return ok({ batteryV: volts }, { battery_v: volts });
      }
      case "rf_analysis": {
        const link = { rssi: Math.round(m.rssi[i]! - this.lossDb(m.gateway[i]!) * 0.8), snr: round(snr, 1) };
        if (snr < LOW_SNR_DB) return fail("LOW_SNR", `mesh SNR ${link.snr} dB below 15 dB`, link);
        return ok(link, link);
      }
      case "inspect": {
        const zone = f.region.climateZones.find((z) => z.id === f.region.towns[m.town[i]!]!.climate)!;
        const temp = round(zone.meanTempC + 9 + rng.normal(0, 3), 1);
        return ok({ tempC: temp }, { temp_c: temp });
      }
      case "comms_reset": {
        const wasStuck = state.isCommsStuck;
        state.isCommsStuck = false;
        return ok({ reassociated: true, wasStuck }, wasStuck ? { msg: "comms module restarted and re-associated" } : {});
      }
    }
  }

  private async timeOut(i: number, cmd: HesCommand, timeoutMs: number, load: number): Promise<CommandOutcome> {
    await this.clock.sleep(timeoutMs * this.latencyScale);
    const gw = this.fleet.gateways[this.fleet.meters.gateway[i]!]!;
    this.emit(i, cmd, "HES_TIMEOUT", "timeout", {
      sessions: `${Math.round(load * gw.maxConcurrentSessions)}/${gw.maxConcurrentSessions}`,
      msg: `no answer within ${Math.round(timeoutMs / 1000)} s`,
    });
    return { status: "timeout" };
  }

  private emit(i: number, cmd: HesCommand, code: Code, result: string, fields: Record<string, string | number>): void {
    if (this.listeners.size === 0) return;
    const { msg, sev, led, ...rest } = fields;
    let line = `ts=${new Date(this.clock.now()).toISOString()} meter=${cmd.meterId} gw=${this.fleet.gateways[this.fleet.meters.gateway[i]!]!.id}`;
    line += ` code=${code} sev=${sev ?? CODES[code].sev}`;
    if (led) line += ` led=${led}`;
    line += ` step=${cmd.step}`;
    if (cmd.job) line += ` job=${quoteLogfmt(cmd.job)}`;
    line += ` result=${result}`;
    for (const [k, v] of Object.entries(rest)) line += ` ${k}=${quoteLogfmt(String(v))}`;
    line += ` key=${quoteLogfmt(cmd.idempotencyKey)}`;
    if (msg !== undefined) line += ` msg=${quoteLogfmt(String(msg))}`;
    for (const listener of this.listeners) listener(line);
  }
}

export function createSimulatorHes(options: SimulatorHesOptions): SimulatorHes {
  return new SimulatorHes(options);
}
