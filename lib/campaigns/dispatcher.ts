// The campaign dispatcher: runs inside each server process; several processes
// on one PostgreSQL share the work safely.
// - A tick works phase by phase over ALL running campaigns (gates, wave starts, sends,
//   soak starts), so each phase is a few statements whatever the number of campaigns.
// - Targets are leased across the running waves with one UPDATE … FROM (SELECT … FOR
//   UPDATE SKIP LOCKED LIMIT n): two workers never hold one target; a lease expires,
//   so a dead worker's targets return. A gateway's due targets are leased together and
//   sent as many at a time as it has free sessions; outcomes are stored in coalesced
//   statements as they arrive.
// - Each lease bumps a fencing token; a result is stored only if the fence still
//   matches, so a stalled worker's late answer is dropped.
// - The CommandLog row (state "sending") is written BEFORE the command leaves, and
//   the command carries its idempotency key: after a crash the same key is resent and
//   the head-end answers with the first outcome instead of applying it again.
// - Waves run one at a time; after a wave's soak its gate (evaluateWave) decides.
import { createHash, randomUUID } from "node:crypto";
import os from "node:os";
import type { AuditRecord } from "@/lib/audit/record";
import { recordAuditEvent } from "@/lib/audit-trail";
import { toAuditLogRow, type AuditLogRow } from "@/lib/clickhouse/audit-rows";
import { findTargetMeters, getLastGaspCounts, getWavesHealth, insertCampaignAuditRows, type WaveHealth } from "@/lib/clickhouse/queries/campaigns";
import { flushMeterStates, markMetersTouched } from "@/lib/clickhouse/meter-state-current";
import { dbKind, getDb, Prisma } from "@/lib/db";
import {
  claimWaves,
  countWaveTargets,
  excludePendingTargets,
  findFirstOpenWaves,
  findReportedFirmware,
  findWaveTargetEvidence,
  findWaveTargets,
  leaseTargets as leaseTargetRows,
  passWaves as passWaveRows,
  recordOutcomes,
  releaseLeases as releaseLeaseRows,
  startSoaks,
  waveKey,
  type LeasedTarget,
  type TargetEvidence,
  type WaveRow,
  type WaveTarget,
} from "@/lib/db/campaign-targets";
import { isAppError } from "@/lib/errors";
import type { HesAdapter } from "@/lib/hes/adapter";
import { countOutcomes, evaluateWave, type GateDecision, type OutcomeCounts } from "@/lib/scheduling/gates";
import { getJobTypeSpec, type JobType } from "@/lib/scheduling/job-types";
import { createWaveStartCheck } from "@/lib/scheduling/plan";
import { createPreflight } from "@/lib/scheduling/preflight";
import { createBatchQueue } from "./batch-queue";
import { auditRecord, countTargetOutcomes, decide, outcomeOf, type Decided, type LeasedRow } from "./dispatch/outcome";
import { OPEN_TARGET_STATES, OPEN_WAVE_STATES } from "./lifecycle";
import { publishProgress, setLiveProgress } from "./progress";
import type { CampaignOptions } from "./schemas";
import { abortCampaignAs, commandKey, readOptions, toPlanOptions } from "./service";
import { getFirmwareCatalogue, toPlanMeter } from "./targets";
import { publishWorkOrdersChanged } from "./work-orders";

export interface DispatcherOptions {
  hes: HesAdapter;
  /** Worker identity written into leases. */
  owner?: string;
  now?: () => Date;
  /** How long a lease holds; past it another worker may take the target. */
  leaseMs?: number;
  commandTimeoutMs?: number;
  /** Targets leased per statement, across the running waves of all campaigns (a wave never exceeds 100). */
  batchSize?: number;
  /** Write step lines to ClickHouse audit_log (and refresh meter_state_current). */
  writeAuditLines?: boolean;
  /** Publish progress snapshots to socket.io rooms. */
  publish?: boolean;
  /** Called after a command's outcome is stored (tests count sends). */
  onRecorded?: (r: { meterId: string; key: string; state: string }) => void;
  /** Milliseconds spent per phase are added here (the benchmark prints where a tick's time goes). */
  timings?: Record<string, number>;
}

export interface TickResult {
  commands: number;
  /** Results dropped because the lease had moved on (fence mismatch). */
  staleResults: number;
  runningCampaigns: number;
  /** Earliest time something becomes due (schedule, soak end, retry, lease expiry). */
  nextWakeAt: Date | null;
  decisions: { campaignId: string; wave: number; decision: GateDecision }[];
}

type CampaignRow = { id: string; jobType: string; options: Prisma.JsonValue };
const HOST = os.hostname();

/** How stale sendLeased's view of a campaign's status may be before the next send re-reads it. */
const RUNNING_RECHECK_MS = 250;
/** Outcomes stored per record statement at most before a flush is due at once, and how long a smaller batch waits. */
const RECORD_BATCH = 1000;
const RECORD_WAIT_MS = 20;

/** LAST_GASP storm check: the span counted, and how long one read of it serves (dispatcher clock). */
const GASP_WINDOW_MS = 5 * 60_000;
const GASP_REFRESH_MS = 2_000;

function minDate(a: Date | null, b: Date | null | undefined): Date | null {
  if (!b) return a;
  if (!a) return b;
  return a < b ? a : b;
}

function positionOf(key: string, suffix: string): bigint {
  return BigInt("0x" + createHash("sha256").update(key).update(suffix).digest("hex").slice(0, 15));
}

export function createDispatcher(opts: DispatcherOptions) {
  const owner = opts.owner ?? `${HOST}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const now = opts.now ?? (() => new Date());
  const commandTimeoutMs = opts.commandTimeoutMs ?? 30_000;
  const leaseMs = opts.leaseMs ?? commandTimeoutMs + 30_000;
  const batchSize = opts.batchSize ?? 1000;
  const writeAuditLines = opts.writeAuditLines ?? true;
  const db = getDb();
  const isPglite = dbKind(db) === "pglite";
  const lastPublished = new Map<string, number>();
  const timings = opts.timings;
  async function timed<T>(phase: string, body: () => Promise<T>): Promise<T> {
    if (!timings) return body();
    const t0 = performance.now();
    try {
      return await body();
    } finally {
      timings[phase] = (timings[phase] ?? 0) + performance.now() - t0;
    }
  }

  /** Step lines: few large ClickHouse inserts behind the sends (batch-queue.ts). */
  const audit = createBatchQueue<AuditLogRow>({
    insert: async (rows, token) => {
      const t0 = performance.now();
      try {
        await insertCampaignAuditRows(rows, token);
      } finally {
        if (timings) timings.chAudit = (timings.chAudit ?? 0) + performance.now() - t0;
      }
    },
    tokenOf: (rows) => `campaigns:${owner}:${rows[0]?.id ?? ""}:${rows.at(-1)?.id ?? ""}:${rows.length}`,
  });

  /**
   * Sends one lease's targets: per gateway at most `slots` at once (the next goes when one
   * answers), all gateways together. Outcomes are stored as they come, coalesced: one record
   * statement in flight at a time, the outcomes that arrive meanwhile go in the next one
   * (a short wait lets a batch build up). Before each send the campaign must still be running
   * (re-read at most every RUNNING_RECHECK_MS) and the lease still held; the targets not sent
   * because of a pause or abort are released.
   */
  async function sendLeased(byId: Map<string, Active>, leased: LeasedTarget[]): Promise<{ sent: number; stale: number }> {
    let sent = 0;
    let stale = 0;
    const unsent: LeasedTarget[] = [];
    const recorder = createRecorder((n) => (stale += n));
    const isRunning = runningCheck(leased.map((r) => r.campaignId));
    const lanes = new Map<string, LeasedTarget[]>();
    for (const row of [...leased].sort((x, y) => x.rn - y.rn)) {
      const lane = lanes.get(row.gatewayId);
      if (lane) lane.push(row);
      else lanes.set(row.gatewayId, [row]);
    }
    const sendOne = async (row: LeasedTarget) => {
      const a = byId.get(row.campaignId)!;
      if (!(await isRunning(row.campaignId))) {
        unsent.push(row);
        return;
      }
      if (now() >= row.leaseExpiresAt) {
        // Its turn came after its lease ran out: another worker may hold it now.
        stale++;
        return;
      }
      sent++;
      const outcome = await opts.hes
        .sendCommand({ meterId: row.meterId, step: a.jobType, params: a.fotaParams, idempotencyKey: row.key, timeoutMs: commandTimeoutMs, job: a.c.id })
        .catch((err: unknown) => ({
          status: "error" as const,
          message: err instanceof Error ? err.message : String(err),
          retryable: !isAppError(err) || err.code === "unavailable",
        }));
      const done = now();
      recorder.push([{ a, d: decide(a.jobType, row, row.key, outcome, done) }]);
    };
    try {
      await timed("hes", () =>
        Promise.all(
          [...lanes.values()].map(async (rows) => {
            let next = 0;
            const lane = async () => {
              while (next < rows.length) await sendOne(rows[next++]!);
            };
            await Promise.all(Array.from({ length: Math.min(rows.length, rows[0]!.slots ?? rows.length) }, lane));
          }),
        ),
      );
    } finally {
      await timed("record", () => recorder.drain());
    }
    if (unsent.length) await releaseLeaseRows(db, { owner, rows: unsent, at: now() });
    return { sent, stale };
  }

  /** A campaign's status for sendLeased: leased as running; re-read when the last read is older than RUNNING_RECHECK_MS. */
  function runningCheck(campaignIds: string[]) {
    let running = new Set(campaignIds);
    let readAt = performance.now();
    let reading: Promise<void> | null = null;
    return async (id: string): Promise<boolean> => {
      if (performance.now() - readAt >= RUNNING_RECHECK_MS) {
        reading ??= db.campaign
          .findMany({ where: { id: { in: [...running] }, status: "running" }, select: { id: true } })
          .then((rows) => {
            running = new Set(rows.map((r) => r.id));
            readAt = performance.now();
          })
          .finally(() => (reading = null));
        await reading;
      }
      return running.has(id);
    };
  }

  /**
   * Outcomes stored in coalesced record statements (batch-queue.ts); the accepted ones get
   * their step lines and callbacks. A failed statement is not retried: drain() throws, and
   * the leases expire, so the same keys go out again.
   */
  function createRecorder(onStale: (n: number) => void) {
    return createBatchQueue<{ a: Active; d: Decided }>({
      batch: RECORD_BATCH,
      waitMs: RECORD_WAIT_MS,
      keepFailed: false,
      insert: async (batch) => {
        const done = now();
        const { stored, workOrders } = await recordOutcomes(db, { owner, decided: batch.map((x) => x.d), at: done });
        if (workOrders) publishWorkOrdersChanged("created", workOrders);
        const accepted = batch.filter((x) => stored.has(x.d.row.id));
        onStale(batch.length - accepted.length);
        for (const { d } of accepted) opts.onRecorded?.({ meterId: d.row.meterId, key: d.key, state: d.state });
        if (writeAuditLines && accepted.length) {
          const rows = accepted
            .map(({ a, d }) => ({ d, r: auditRecord(a.c.id, a.jobType, d, done, HOST) }))
            .filter((x): x is { d: Decided; r: AuditRecord } => x.r !== null)
            .map(({ d, r }) => toAuditLogRow(r, { source: `campaign:${r.job}`, position: positionOf(d.key, `${d.row.fence}`) }));
          audit.push(rows);
          // The map's flat table follows on the same debounced refresh as ingested lines (500 ms):
          // re-merging each batch's meters inline took 3.4 s of a 14.8 s bench run (16 k commands, PGlite).
          markMetersTouched(accepted.map(({ d }) => d.row.meterId));
        }
      },
    });
  }

  interface Active {
    c: CampaignRow;
    jobType: JobType;
    spec: ReturnType<typeof getJobTypeSpec>;
    options: CampaignOptions;
    fotaParams: { metrology: string; comms: string } | undefined;
    wave: WaveRow;
  }

  /** The targets of many waves in one statement, grouped by wave. */
  async function waveTargets(waves: Active[]): Promise<Map<string, TargetEvidence[]>> {
    const out = new Map<string, TargetEvidence[]>(waves.map((a) => [waveKey(a.c.id, a.wave.index), []]));
    const rows = await findWaveTargetEvidence(db, waves.map((a) => ({ campaignId: a.c.id, index: a.wave.index })));
    for (const r of rows) out.get(waveKey(r.campaignId, r.wave))?.push(r);
    return out;
  }

  interface WaveTally {
    outcomes: OutcomeCounts;
    nextAttemptAt: Date | null;
    leaseExpiresAt: Date | null;
  }

  /** Outcome counts of many waves in one grouped statement (mid-wave checks need counts, not meter ids). */
  async function waveTallies(waves: Active[]): Promise<Map<string, WaveTally>> {
    const out = new Map<string, WaveTally>(waves.map((a) => [waveKey(a.c.id, a.wave.index), { outcomes: { ok: 0, pending: 0, failed: {} }, nextAttemptAt: null, leaseExpiresAt: null }]));
    if (!waves.length) return out;
    const rows = await countWaveTargets(db, waves.map((a) => ({ campaignId: a.c.id, index: a.wave.index })));
    for (const r of rows) {
      const tally = out.get(waveKey(r.campaignId, r.wave));
      if (!tally) continue;
      countTargetOutcomes([r], tally.outcomes);
      if (r.state === "pending") tally.nextAttemptAt = minDate(tally.nextAttemptAt, r.nextAt);
      if (r.state === "leased") tally.leaseExpiresAt = minDate(tally.leaseExpiresAt, r.leaseAt);
    }
    return out;
  }

  /**
   * The firmware pair each succeeded fota target's answer reported (its CommandLog outcome,
   * looked up by key), keyed "campaign|meter". Other job types need none.
   */
  async function reportedFirmware(waves: Active[], evidence: Map<string, TargetEvidence[]>): Promise<Map<string, { metrology: string; comms: string }>> {
    const out = new Map<string, { metrology: string; comms: string }>();
    const keys: string[] = [];
    for (const a of waves) {
      if (a.jobType !== "fota") continue;
      for (const x of evidence.get(waveKey(a.c.id, a.wave.index)) ?? []) if (x.state === "succeeded") keys.push(commandKey(a.c.id, x.meterId, a.jobType, x.attempts));
    }
    if (!keys.length) return out;
    const rows = await findReportedFirmware(db, keys);
    for (const r of rows) if (r.metrology && r.comms) out.set(`${r.campaignId}|${r.meterId}`, { metrology: r.metrology, comms: r.comms });
    return out;
  }

  /**
   * LAST_GASP per minute behind each wave's gateways over the 5 minutes before the read. One
   * ClickHouse read of all gateways serves the gates and wave starts of every tick for
   * GASP_REFRESH_MS of the dispatcher's clock: a storm is seen at most that much later.
   */
  let gaspRead: { at: number; counts: Promise<Map<string, number>> } | null = null;
  let tickAt = 0;
  function gaspCounts(at: number): Promise<Map<string, number>> {
    if (!gaspRead || at < gaspRead.at || at - gaspRead.at >= GASP_REFRESH_MS) {
      const read = { at, counts: timed("ch:gasp", () => getLastGaspCounts({ from: at - GASP_WINDOW_MS, to: at + 1 })) };
      // A failed read is not kept: the next caller reads again.
      read.counts.catch(() => {
        if (gaspRead === read) gaspRead = null;
      });
      gaspRead = read;
    }
    return gaspRead.counts;
  }
  async function lastGaspRates(gatewaysPerWave: string[][], at: number): Promise<number[]> {
    const counts = await gaspCounts(at);
    return gatewaysPerWave.map((gws) => (gws.reduce((n, gw) => n + (counts.get(gw) ?? 0), 0) * 60_000) / (GASP_WINDOW_MS + 1));
  }

  /** Applies a gate's decision if the wave is still in `from` (one worker decides a wave); false if another worker did. */
  async function applyDecision(a: Active, from: "pending" | "running" | "soaking", decision: GateDecision, reasons: { code: string; message: string }[], at: Date): Promise<boolean> {
    const { c, wave } = a;
    const text = reasons.map((r) => `${r.code}: ${r.message}`).join("; ");
    const to = decision === "continue" ? "passed" : decision === "pause" ? "paused" : decision === "abort" ? "failed" : null;
    if (!to) return false;
    const moved = await db.campaignWave.updateMany({ where: { id: wave.id, state: from }, data: { state: to, decision, reasons, decidedAt: at } });
    if (!moved.count) return false;
    if (decision === "pause") {
      await db.campaign.updateMany({ where: { id: c.id, status: "running" }, data: { status: "paused", statusReason: `gate of wave ${wave.index}: ${text}`.slice(0, 1000) } });
    } else if (decision === "abort") {
      await abortCampaignAs(c.id, `gate of wave ${wave.index}: ${text}`.slice(0, 1000), at).catch(() => {});
    }
    await recordAuditEvent({ actor: null, action: "campaign.gate", target: c.id, outcome: decision === "continue" ? "ok" : "failed", details: { wave: wave.index, decision, reasons } });
    return true;
  }

  /**
   * Wave start for many waves: preflight re-run on current state (the ClickHouse read was
   * started by startDueWaves beside its LAST_GASP check); field steps become work orders.
   */
  async function beginWaves(started: Active[], at: Date, pendingTargets: WaveTarget[], meterRows: Promise<Awaited<ReturnType<typeof findTargetMeters>>>) {
    if (!started.length) return;
    const isStarted = new Set(started.map((a) => waveKey(a.c.id, a.wave.index)));
    const targets = pendingTargets.filter((t) => isStarted.has(waveKey(t.campaignId, t.wave)));
    const excluded: { id: string; code: string | null; reason: string }[] = [];
    if (targets.length) {
      const catalogue = started.some((a) => a.jobType === "fota") ? await getFirmwareCatalogue() : undefined;
      const rows = await meterRows;
      const byMeter = new Map(rows.map((r) => [r.meter, r]));
      const checks = new Map(started.map((a) => [a.c.id, createPreflight({ jobType: a.jobType, catalogue, targetFirmware: a.options.targetFirmware }, at)]));
      for (const t of targets) {
        const row = byMeter.get(t.meterId);
        const result = row ? checks.get(t.campaignId)!(toPlanMeter(row)) : { ok: false as const, reasons: [{ code: "METER_UNKNOWN", message: "no longer in the fleet inventory" }] };
        if (!result.ok) excluded.push({ id: t.id, code: result.reasons[0]?.code ?? null, reason: `preflight at dispatch: ${result.reasons.map((r) => `${r.code}: ${r.message}`).join("; ")}`.slice(0, 1000) });
      }
      await excludePendingTargets(db, { excluded, at });
    }
    const excludedIds = new Set(excluded.map((e) => e.id));
    for (const a of started) {
      if (a.spec.execution !== "field") continue;
      // The wave's pending targets were read above; those preflight just excluded get no order.
      const open = targets.filter((t) => t.campaignId === a.c.id && t.wave === a.wave.index && !excludedIds.has(t.id));
      const made = await db.workOrder.createMany({ data: open.map((t) => ({ campaignId: a.c.id, meterId: t.meterId, jobType: a.jobType, reason: `campaign wave ${a.wave.index}` })), skipDuplicates: true });
      if (made.count) publishWorkOrdersChanged("created", made.count);
      // Exactly the targets that got an order (the ids read above), nothing the read did not see.
      await db.campaignTarget.updateMany({ where: { id: { in: open.map((t) => t.id) }, state: "pending" }, data: { state: "sent", updatedAt: at } });
    }
  }

  /** The first unfinished wave of each running campaign; campaigns with none are completed once nothing is open. */
  async function loadActive(campaigns: CampaignRow[], at: Date): Promise<Active[]> {
    if (!campaigns.length) return [];
    // The first unfinished wave per campaign only: a 1 M-meter campaign has 10 000 waves.
    const waves = await findFirstOpenWaves(db, { campaignIds: campaigns.map((c) => c.id), openStates: OPEN_WAVE_STATES });
    const first = new Map<string, WaveRow>(waves.map((w) => [w.campaignId, w]));
    const active: Active[] = [];
    for (const c of campaigns) {
      const wave = first.get(c.id);
      if (!wave) {
        const open = await db.campaignTarget.count({ where: { campaignId: c.id, state: { in: [...OPEN_TARGET_STATES] } } });
        if (open === 0) {
          const moved = await db.campaign.updateMany({ where: { id: c.id, status: "running" }, data: { status: "completed", finishedAt: at } });
          if (moved.count) await recordAuditEvent({ actor: null, action: "campaign.complete", target: c.id, outcome: "ok" });
        }
        continue;
      }
      const jobType = c.jobType as JobType;
      const options = readOptions(c.options);
      const fotaParams = jobType === "fota" && options.targetFirmware ? { metrology: options.targetFirmware.metrology, comms: options.targetFirmware.comms } : undefined;
      active.push({ c, jobType, spec: getJobTypeSpec(jobType), options, fotaParams, wave });
    }
    return active;
  }

  function thresholdsOf(a: Active) {
    const th = a.options.thresholds;
    return { successPct: th.successPct, maxErrors: { pct: th.maxErrorPct, count: th.maxErrorCount }, onBreach: th.onBreach };
  }

  /** Gates of soaked waves, batched: one evidence read, one health scan per group of waves without shared meters, one LAST_GASP read. */
  async function gateSoakedWaves(soaked: Active[], result: TickResult) {
    if (!soaked.length) return;
    const t = now();
    const evidence = await timed("pg:waveTargets", () => waveTargets(soaked));
    // The health scan leaves out the waves' own step lines (still on their way to ClickHouse,
    // perhaps): what they say comes from the targets' outcomes here.
    const reported = await timed("pg:fotaOutcomes", () => reportedFirmware(soaked, evidence));
    const inputs = soaked.map((a) => {
      const targets = evidence.get(waveKey(a.c.id, a.wave.index)) ?? [];
      const counted = targets.map((x) => ({ meterId: x.meterId, outcome: outcomeOf(x) })).filter((x) => x.outcome !== null);
      const outcomes = countOutcomes(counted.map((x) => x.outcome!));
      const target = a.jobType === "fota" ? a.options.targetFirmware : null;
      const answered = targets.filter((x) => x.state === "succeeded");
      const own = {
        answered: answered.map((x) => x.meterId),
        onTarget: target ? answered.filter((x) => { const fw = reported.get(`${a.c.id}|${x.meterId}`); return fw?.metrology === target.metrology && fw.comms === target.comms; }).map((x) => x.meterId) : [],
        mismatched: targets.filter((x) => x.lastCode === "FW_HASH_MISMATCH").map((x) => x.meterId),
      };
      return { a, targets, outcomes, own, meters: counted.map((x) => x.meterId) };
    });
    // A meter may be in two campaigns' waves at once: such waves go to separate health scans.
    const groups: (typeof inputs)[] = [];
    for (const x of inputs) {
      if (!x.meters.length) continue;
      const g = groups.find((g) => !g.some((y) => y.meters.some((m) => x.meters.includes(m))));
      if (g && g.length < 200) g.push(x);
      else groups.push([x]);
    }
    // The LAST_GASP read does not depend on the health scans: both go to chDB at once.
    const gaspRead = lastGaspRates(inputs.map((x) => [...new Set(x.targets.map((y) => y.gatewayId))]), tickAt);
    gaspRead.catch(() => {}); // awaited below; a health scan failing first must not leave it unhandled
    const health = new Map<Active, WaveHealth>();
    for (const g of groups) {
      const rows = await timed("ch:health", () => getWavesHealth(
        g.map(({ a, meters, own }) => ({ campaignId: a.c.id, step: a.jobType, meters, own, from: (a.wave.startedAt ?? a.wave.scheduledAt).getTime(), to: t.getTime() + 1, targetFirmware: a.jobType === "fota" ? a.options.targetFirmware ?? null : null })),
      ));
      g.forEach((x, i) => health.set(x.a, rows[i]!));
    }
    const gasp = await gaspRead;
    const passes: { a: Active; reasons: { code: string; message: string }[] }[] = [];
    for (const [i, { a, outcomes }] of inputs.entries()) {
      const th = a.options.thresholds;
      const gate = evaluateWave(
        { outcomes, healthAfterSoak: health.get(a) ?? { reRegistered: 0, hashMatches: null, newFaults: {} }, soakEndsAt: a.wave.soakEndsAt ?? t },
        thresholdsOf(a),
        { regionLastGaspPerMin: gasp[i]!, stormThreshold: th.lastGaspPerMin },
        t,
      );
      if (gate.decision === "wait") {
        result.nextWakeAt = minDate(result.nextWakeAt, new Date(t.getTime() + 30_000));
        continue;
      }
      if (gate.decision === "continue") {
        passes.push({ a, reasons: gate.reasons });
        continue;
      }
      if (!(await applyDecision(a, "soaking", gate.decision, gate.reasons, t))) continue;
      result.decisions.push({ campaignId: a.c.id, wave: a.wave.index, decision: gate.decision });
    }
    await passWaves(passes, t, result);
  }

  /**
   * The common gate outcome for many waves in two statements (the wave moves on only if it
   * is still soaking: one worker decides a wave), instead of two per wave as applyDecision.
   */
  async function passWaves(passes: { a: Active; reasons: { code: string; message: string }[] }[], at: Date, result: TickResult) {
    if (!passes.length) return;
    const moved = await passWaveRows(db, { passes: passes.map((p) => ({ waveId: p.a.wave.id, reasons: p.reasons })), at });
    const won = passes.filter((p) => moved.has(p.a.wave.id));
    if (!won.length) return;
    await db.auditEvent.createMany({
      data: won.map(({ a, reasons }) => ({ actorId: null, actorEmail: null, action: "campaign.gate", target: a.c.id, outcome: "ok" as const, details: { wave: a.wave.index, decision: "continue", reasons } })),
    });
    for (const { a } of won) result.decisions.push({ campaignId: a.c.id, wave: a.wave.index, decision: "continue" });
    result.nextWakeAt = minDate(result.nextWakeAt, at);
  }

  /** Due pending waves: LAST_GASP check (one read for all), claim, preflight (one read for all). Returns the waves now running. */
  async function startDueWaves(pending: Active[], result: TickResult): Promise<Active[]> {
    const at = now();
    const scheduled = pending.filter((a) => {
      if (at >= a.wave.scheduledAt) return true;
      result.nextWakeAt = minDate(result.nextWakeAt, a.wave.scheduledAt);
      return false;
    });
    const due = await waitForWindows(scheduled, at, result);
    if (!due.length) return [];
    // One read of the due waves' targets serves the LAST_GASP check (their gateways) and the
    // preflight (their pending meters), whose ClickHouse read goes beside the LAST_GASP one.
    const targets = await findWaveTargets(db, due.map((a) => ({ campaignId: a.c.id, index: a.wave.index })));
    const pendingTargets = targets.filter((t) => t.state === "pending");
    const meterRows = pendingTargets.length
      ? timed("ch:preflight", () => findTargetMeters({ meters: [...new Set(pendingTargets.map((t) => t.meterId))] }, { now: at.getTime() }))
      : Promise.resolve([]);
    meterRows.catch(() => {}); // awaited in beginWaves; a storm pause may leave it unread
    const gwsOf = new Map<string, Set<string>>();
    for (const t of targets) {
      const k = waveKey(t.campaignId, t.wave);
      const set = gwsOf.get(k);
      if (set) set.add(t.gatewayId);
      else gwsOf.set(k, new Set([t.gatewayId]));
    }
    const perWave = due.map((a) => [...(gwsOf.get(waveKey(a.c.id, a.wave.index)) ?? [])]);
    const gasp = await lastGaspRates(perWave, tickAt);
    const toClaim: Active[] = [];
    for (const [i, a] of due.entries()) {
      const limit = a.options.thresholds.lastGaspPerMin;
      if (gasp[i]! >= limit) {
        if (!(await applyDecision(a, "pending", "pause", [{ code: "LAST_GASP_STORM", message: `${gasp[i]!.toFixed(1)} last-gasp messages/min behind this wave's gateways, at or above ${limit}` }], at))) continue;
        result.decisions.push({ campaignId: a.c.id, wave: a.wave.index, decision: "pause" });
      } else toClaim.push(a);
    }
    if (!toClaim.length) return [];
    // Preflight before the wave shows as running: no worker may lease a target preflight would exclude.
    await beginWaves(toClaim, at, pendingTargets, meterRows);
    const claimedIds = await claimWaves(db, { waveIds: toClaim.map((a) => a.wave.id), at });
    const claimed = toClaim.filter((a) => claimedIds.has(a.wave.id));
    for (const a of claimed) a.wave = { ...a.wave, state: "running", startedAt: at };
    return claimed;
  }

  /**
   * A due wave starts only inside its zone's allowed window (off-peak, not a blackout date): a wave
   * that is late (approved, resumed or retried past its slot) or whose time falls outside it is moved
   * to the next slot where its whole run fits and waits for it; with no slot ahead the campaign pauses.
   */
  async function waitForWindows(due: Active[], at: Date, result: TickResult): Promise<Active[]> {
    const ready: Active[] = [];
    for (const a of due) {
      const check = createWaveStartCheck(a.jobType, toPlanOptions(a.options));
      const verdict = check ? check(a.wave, at) : { ok: true as const };
      if (verdict.ok) {
        ready.push(a);
        continue;
      }
      if (!verdict.next) {
        const reason = { code: "NO_WINDOW", message: `no allowed window for wave ${a.wave.index} (${a.wave.timezone}) within the search horizon` };
        if (await applyDecision(a, "pending", "pause", [reason], at)) result.decisions.push({ campaignId: a.c.id, wave: a.wave.index, decision: "pause" });
        continue;
      }
      const { startAt, windowStart, windowEnd } = verdict.next;
      await db.campaignWave.updateMany({ where: { id: a.wave.id, state: "pending" }, data: { scheduledAt: startAt, windowStart, windowEnd } });
      a.wave = { ...a.wave, scheduledAt: startAt, windowStart, windowEnd };
      result.nextWakeAt = minDate(result.nextWakeAt, startAt);
    }
    return ready;
  }

  /** Lease and send across all running remote waves until none has a due target (or their campaigns stop running). */
  async function sendRunningWaves(running: Active[], result: TickResult) {
    const live = running.filter((a) => a.spec.execution === "remote");
    const byId = new Map(live.map((a) => [a.c.id, a]));
    while (live.length) {
      const leased = await timed("lease", () => leaseTargetRows(db, { owner, waves: live.map((a) => ({ campaignId: a.c.id, index: a.wave.index })), at: now(), leaseMs, commandTimeoutMs, batchSize, isPglite }));
      if (!leased.length) break;
      const sent = await sendLeased(byId, leased);
      result.commands += sent.sent;
      result.staleResults += sent.stale;
      // A full batch may have left due targets behind; otherwise everything due on a gateway
      // with a free session was leased (the rest waits for other workers' sessions, next tick).
      if (leased.length < batchSize) break;
    }
    // The round's step lines go to ClickHouse in one insert, not awaited: it goes on beside
    // the soak starts and the next ticks (no gate needs them: see gateSoakedWaves).
    if (result.commands) audit.kick();
  }

  /** After sending: a wave with nothing open starts its soak; otherwise the error budget is checked mid-wave. */
  async function settleRunningWaves(running: Active[], result: TickResult) {
    if (!running.length) return;
    const t = now();
    const tallies = await timed("pg:tallies", () => waveTallies(running));
    // Soak starts of all finished waves in one statement.
    const soaks: { id: string; endsAt: Date }[] = [];
    for (const a of running) {
      const tally = tallies.get(waveKey(a.c.id, a.wave.index))!;
      if (tally.outcomes.pending === 0) {
        const soakMs = (a.options.soakMinutes ?? a.spec.soakMinutes) * 60_000;
        soaks.push({ id: a.wave.id, endsAt: new Date(t.getTime() + soakMs) });
        result.nextWakeAt = minDate(result.nextWakeAt, new Date(t.getTime() + soakMs));
        continue;
      }
      // Mid-wave: failures alone may already break the error budget (an operator's resume accepts them).
      if (a.wave.decision !== "resumed") {
        const gate = evaluateWave({ outcomes: tally.outcomes, healthAfterSoak: null, soakEndsAt: null }, thresholdsOf(a), { regionLastGaspPerMin: 0, stormThreshold: a.options.thresholds.lastGaspPerMin }, t);
        if (gate.decision === "pause" || gate.decision === "abort") {
          if (!(await applyDecision(a, "running", gate.decision, gate.reasons.filter((r) => r.code !== "SOAKING"), t))) continue;
          result.decisions.push({ campaignId: a.c.id, wave: a.wave.index, decision: gate.decision });
          continue;
        }
      }
      result.nextWakeAt = minDate(minDate(result.nextWakeAt, tally.nextAttemptAt), tally.leaseExpiresAt);
    }
    await startSoaks(db, soaks);
  }

  /**
   * One round over all running campaigns, phase by phase so that every phase is a
   * handful of statements whatever the number of campaigns: gates of soaked waves,
   * starts of due waves, sends, then soak starts.
   */
  async function tick(): Promise<TickResult> {
    const result: TickResult = { commands: 0, staleResults: 0, runningCampaigns: 0, nextWakeAt: null, decisions: [] };
    tickAt = now().getTime();
    const campaigns = await timed("load", () => db.campaign.findMany({ where: { status: "running" }, select: { id: true, jobType: true, options: true }, orderBy: { startedAt: "asc" } }));
    result.runningCampaigns = campaigns.length;
    const guard = async (what: string, ids: string[], body: () => Promise<void>) => {
      try {
        await body();
      } catch (err) {
        console.error(`[dispatcher] ${what} (campaigns ${ids.join(", ")}):`, err);
        result.nextWakeAt = minDate(result.nextWakeAt, new Date(now().getTime() + 5_000));
      }
    };
    let active = await timed("load", () => loadActive(campaigns, now()));
    // Gates and wave starts check LAST_GASP: its read goes to ClickHouse now, beside their PostgreSQL reads.
    if (active.some((a) => (a.wave.state === "soaking" && (!a.wave.soakEndsAt || tickAt >= a.wave.soakEndsAt.getTime())) || (a.wave.state === "pending" && tickAt >= a.wave.scheduledAt.getTime()))) {
      gaspCounts(tickAt).catch(() => {}); // awaited where it is used
    }
    const soaked = active.filter((a) => a.wave.state === "soaking");
    await guard("gate", soaked.map((a) => a.c.id), async () => {
      const t = now();
      const due = soaked.filter((a) => !a.wave.soakEndsAt || t >= a.wave.soakEndsAt);
      for (const a of soaked) if (!due.includes(a)) result.nextWakeAt = minDate(result.nextWakeAt, a.wave.soakEndsAt);
      await timed("gate", () => gateSoakedWaves(due, result));
    });
    // A passed gate may make the next wave due at once.
    if (result.decisions.length) {
      const still = await db.campaign.findMany({ where: { id: { in: campaigns.map((c) => c.id) }, status: "running" }, select: { id: true, jobType: true, options: true } });
      active = await loadActive(still, now());
    }
    const running = active.filter((a) => a.wave.state === "running");
    await guard("wave start", active.filter((a) => a.wave.state === "pending").map((a) => a.c.id), async () => {
      running.push(...(await timed("waveStart", () => startDueWaves(active.filter((a) => a.wave.state === "pending"), result))));
    });
    await guard("send", running.map((a) => a.c.id), () => sendRunningWaves(running, result));
    await guard("settle", running.map((a) => a.c.id), () => timed("settle", async () => {
      // Campaigns paused or aborted while this tick sent are left as they are.
      const still = result.commands === 0 || !running.length
        ? new Set(running.map((a) => a.c.id))
        : new Set((await db.campaign.findMany({ where: { id: { in: running.map((a) => a.c.id) }, status: "running" }, select: { id: true } })).map((c) => c.id));
      await settleRunningWaves(running.filter((a) => still.has(a.c.id)), result);
    }));
    if (opts.publish) {
      for (const c of campaigns) {
        const last = lastPublished.get(c.id) ?? 0;
        if (Date.now() - last >= 500) {
          lastPublished.set(c.id, Date.now());
          await publishProgress(c.id).catch(() => {});
        }
      }
    }
    return result;
  }

  return {
    owner,
    tick,
    /**
     * Waits until the step lines queued by earlier ticks are in ClickHouse: at shutdown, and for
     * a caller that reads them right after ticking (a tick does not wait for them; a batch goes
     * after each send round and otherwise within the queue's wait).
     */
    drain: () => audit.drain(),
  };
}
export type Dispatcher = ReturnType<typeof createDispatcher>;

// ---------------------------------------------------------------- the server's loop

const g = globalThis as unknown as { __amiDispatcher?: { stop(): Promise<void> } };
const PREVENTIVE_EVERY_MS = 3_600_000;

/** Start the dispatcher loop in this process (server.ts). Safe to call once per process. */
export function startDispatcher(options: Partial<DispatcherOptions> & { idleMs?: number } = {}): { stop(): Promise<void> } {
  if (g.__amiDispatcher) return g.__amiDispatcher;
  let isStopping = false;
  let wake: (() => void) | null = null;
  const loop = (async () => {
    const { getHes } = await import("@/lib/hes");
    setLiveProgress(true);
    const dispatcher = createDispatcher({ hes: options.hes ?? getHes(), publish: true, ...options });
    const idleMs = options.idleMs ?? 1000;
    const { runPreventivePlans } = await import("./work-orders");
    let preventiveAt = 0;
    while (!isStopping) {
      let delay = idleMs;
      // Preventive plans: hourly is enough (a plan's period is days); each period is claimed once.
      if (Date.now() - preventiveAt >= PREVENTIVE_EVERY_MS) {
        preventiveAt = Date.now();
        await runPreventivePlans().catch((err: unknown) => console.error("[dispatcher] preventive plans failed", err));
      }
      try {
        const r = await dispatcher.tick();
        if (r.commands > 0) delay = 0;
        else if (r.nextWakeAt) delay = Math.max(0, Math.min(idleMs, r.nextWakeAt.getTime() - Date.now()));
      } catch (err) {
        console.error("[dispatcher] tick failed", err);
        delay = 5_000;
      }
      if (isStopping) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, delay);
      });
    }
    // The last busy tick's step lines may still be on their way to ClickHouse.
    await dispatcher.drain().catch((err: unknown) => console.error("[dispatcher] step lines failed", err));
  })();
  const handle = {
    async stop() {
      isStopping = true;
      wake?.();
      await loop.catch(() => {});
      await flushMeterStates().catch((err: unknown) => console.error("[dispatcher] meter state refresh failed", err));
      g.__amiDispatcher = undefined;
      setLiveProgress(false);
    },
  };
  g.__amiDispatcher = handle;
  return handle;
}

/** Stop the loop started by startDispatcher (server shutdown); waits for the current round. */
export async function stop(): Promise<void> {
  await g.__amiDispatcher?.stop();
}
