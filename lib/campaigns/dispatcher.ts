// The campaign dispatcher: runs inside each server process; several processes
// on one PostgreSQL share the work safely.
// - Targets are leased with UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED):
//   two workers never hold one target; a lease expires, so a dead worker's targets return.
// - Each lease bumps a fencing token; a result is stored only if the fence still
//   matches, so a stalled worker's late answer is dropped.
// - The CommandLog row (state "sending") is written BEFORE the command leaves, and
//   the command carries its idempotency key: after a crash the same key is resent and
//   the head-end answers with the first outcome instead of applying it again.
// - Waves run one at a time; after a wave's soak its gate (evaluateWave) decides.
import { createHash, randomUUID } from "node:crypto";
import os from "node:os";
import { CODES, type Code } from "@/lib/audit/codes";
import type { AuditRecord } from "@/lib/audit/record";
import { recordAuditEvent } from "@/lib/audit-trail";
import { toAuditLogRow } from "@/lib/clickhouse/audit-rows";
import { findTargetMeters, getLastGaspRate, getWaveHealth, insertCampaignAuditRows } from "@/lib/clickhouse/queries/campaigns";
import { refreshMeterStates } from "@/lib/clickhouse/meter-state-current";
import { getDb, Prisma } from "@/lib/db";
import { isAppError } from "@/lib/errors";
import type { CommandOutcome, HesAdapter } from "@/lib/hes/adapter";
import { evaluateWave, nextRetry, type GateDecision, type MeterOutcome } from "@/lib/scheduling/gates";
import { getJobTypeSpec, type JobType } from "@/lib/scheduling/job-types";
import { createPreflight } from "@/lib/scheduling/preflight";
import { publishProgress, setLiveProgress } from "./progress";
import { abortCampaignAs, commandKey, readOptions } from "./service";
import { getFirmwareCatalogue, toPlanMeter } from "./targets";

export interface DispatcherOptions {
  hes: HesAdapter;
  /** Worker identity written into leases. */
  owner?: string;
  now?: () => Date;
  /** How long a lease holds; past it another worker may take the target. */
  leaseMs?: number;
  commandTimeoutMs?: number;
  /** Targets leased per round (a wave never exceeds 100). */
  batchSize?: number;
  /** Write step lines to ClickHouse audit_log (and refresh meter_state_current). */
  writeAuditLines?: boolean;
  /** Publish progress snapshots to socket.io rooms. */
  publish?: boolean;
  /** Called after a command's outcome is stored (tests count sends). */
  onRecorded?: (r: { meterId: string; key: string; state: string }) => void;
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

interface LeasedRow {
  id: string;
  meterId: string;
  gatewayId: string;
  attempts: number;
  fence: number;
}

type CampaignRow = { id: string; jobType: string; options: Prisma.JsonValue };

const OPEN_STATES = ["pending", "leased", "sent"] as const;

function minDate(a: Date | null, b: Date | null | undefined): Date | null {
  if (!b) return a;
  if (!a) return b;
  return a < b ? a : b;
}

function positionOf(key: string, suffix: string): bigint {
  return BigInt("0x" + createHash("sha256").update(key).update(suffix).digest("hex").slice(0, 15));
}

export function createDispatcher(opts: DispatcherOptions) {
  const owner = opts.owner ?? `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const now = opts.now ?? (() => new Date());
  const commandTimeoutMs = opts.commandTimeoutMs ?? 30_000;
  const leaseMs = opts.leaseMs ?? commandTimeoutMs + 30_000;
  const batchSize = opts.batchSize ?? 100;
  const writeAuditLines = opts.writeAuditLines ?? true;
  const db = getDb();
  const lastPublished = new Map<string, number>();

  async function leaseTargets(campaignId: string, wave: number, at: Date): Promise<LeasedRow[]> {
    const expires = new Date(at.getTime() + leaseMs);
    return db.$queryRaw<LeasedRow[]>`
      UPDATE "CampaignTarget" AS t
      SET state = 'leased', "leaseOwner" = ${owner}, "leaseExpiresAt" = ${expires}, fence = t.fence + 1, "updatedAt" = ${at},
          attempts = CASE WHEN t.state = 'pending' THEN t.attempts + 1 ELSE t.attempts END
      WHERE t.id IN (
        SELECT id FROM "CampaignTarget"
        WHERE "campaignId" = ${campaignId} AND wave = ${wave}
          AND ((state = 'pending' AND ("nextAttemptAt" IS NULL OR "nextAttemptAt" <= ${at}))
               OR (state = 'leased' AND "leaseExpiresAt" < ${at}))
        ORDER BY id
        LIMIT ${batchSize}
        FOR UPDATE SKIP LOCKED)
      RETURNING t.id, t."meterId", t."gatewayId", t.attempts, t.fence`;
  }

  interface Decided {
    row: LeasedRow;
    key: string;
    state: "succeeded" | "failed" | "excluded" | "pending";
    code: string | null;
    reason: string | null;
    nextAttemptAt: Date | null;
    attemptsDelta: number;
    outcome: CommandOutcome | { status: "error"; message: string };
  }

  function decide(jobType: JobType, row: LeasedRow, key: string, outcome: CommandOutcome | { status: "error"; message: string; retryable: boolean }, at: Date): Decided {
    const base = { row, key, outcome, nextAttemptAt: null, attemptsDelta: 0 };
    if (outcome.status === "ok") return { ...base, state: "succeeded", code: null, reason: null };
    if (outcome.status === "error") {
      // The head-end could not be asked (network, 5xx): not an attempt; the same key goes out again later.
      if (outcome.retryable) return { ...base, state: "pending", code: "HES_UNAVAILABLE", reason: outcome.message, nextAttemptAt: new Date(at.getTime() + 30_000), attemptsDelta: -1 };
      return { ...base, state: "failed", code: "HES_REJECTED", reason: outcome.message.slice(0, 500) };
    }
    const code = outcome.status === "timeout" ? "HES_TIMEOUT" : outcome.code;
    const message = outcome.status === "timeout" ? "no answer from the head-end in time" : outcome.message;
    if (outcome.status === "fail" && outcome.refused) return { ...base, state: "failed", code, reason: `refused by the head-end: ${message}`.slice(0, 500) };
    const retryAt = nextRetry(jobType, code, row.attempts, at, row.meterId);
    if (retryAt) return { ...base, state: "pending", code, reason: `${code}: ${message}; retry ${row.attempts + 1} due ${retryAt.toISOString()}`.slice(0, 500), nextAttemptAt: retryAt };
    if (getJobTypeSpec(jobType).retry[code]) {
      return { ...base, state: "excluded", code, reason: `excluded after failing ${row.attempts} times (last ${code}: ${message})`.slice(0, 500) };
    }
    return { ...base, state: "failed", code, reason: `${code}: ${message}`.slice(0, 500) };
  }

  /** Store outcomes whose fence still holds, and finish their CommandLog rows, in one statement. */
  async function record(decided: Decided[], at: Date): Promise<Set<string>> {
    if (!decided.length) return new Set();
    const ids = decided.map((d) => d.row.id);
    const fences = decided.map((d) => d.row.fence);
    const states = decided.map((d) => d.state);
    const codes = decided.map((d) => d.code);
    const reasons = decided.map((d) => d.reason);
    const nexts = decided.map((d) => (d.nextAttemptAt ? d.nextAttemptAt.toISOString() : null));
    const deltas = decided.map((d) => d.attemptsDelta);
    const keys = decided.map((d) => d.key);
    const logStates = decided.map((d) => (d.outcome.status === "error" ? "error" : d.outcome.status));
    const outcomes = decided.map((d) => JSON.stringify(d.outcome));
    const rows = await db.$queryRaw<{ id: string }[]>`
      WITH v AS (
        SELECT * FROM unnest(${ids}::text[], ${fences}::int[], ${states}::text[], ${codes}::text[], ${reasons}::text[],
                             ${nexts}::text[], ${deltas}::int[], ${keys}::text[], ${logStates}::text[], ${outcomes}::text[])
          AS x(id, fence, state, code, reason, next_at, delta, key, log_state, outcome)
      ), upd AS (
        UPDATE "CampaignTarget" AS t
        SET state = v.state::"CampaignTargetState", "lastCode" = v.code, reason = v.reason,
            "nextAttemptAt" = v.next_at::timestamptz, attempts = t.attempts + v.delta,
            "leaseOwner" = NULL, "leaseExpiresAt" = NULL, "updatedAt" = ${at}
        FROM v
        WHERE t.id = v.id AND t.fence = v.fence AND t."leaseOwner" = ${owner} AND t.state = 'leased'
        RETURNING t.id
      ), logs AS (
        UPDATE "CommandLog" AS c
        SET state = v.log_state, code = v.code, outcome = v.outcome::jsonb, "finishedAt" = ${at}
        FROM v WHERE c."idempotencyKey" = v.key AND v.id IN (SELECT id FROM upd) AND v.log_state <> 'error'
        RETURNING c."idempotencyKey"
      )
      SELECT id FROM upd`;
    return new Set(rows.map((r) => r.id));
  }

  function auditRecord(campaignId: string, jobType: JobType, d: Decided, at: Date): AuditRecord | null {
    const o = d.outcome;
    if (o.status === "error") return null;
    const code: Code = o.status === "ok" ? "STEP_OK" : o.status === "timeout" ? "HES_TIMEOUT" : o.code;
    const details = o.status === "ok" ? o.details : {};
    const str = (v: unknown) => (typeof v === "string" ? v : "");
    return {
      ts: at.getTime(), recv_ts: null, meter: d.row.meterId, gw: d.row.gatewayId, code, sev: CODES[code].sev, led: "",
      step: jobType, job: campaignId,
      result: o.status === "ok" ? "ok" : o.status === "timeout" ? "timeout" : o.refused ? "skipped" : "fail",
      rssi: null, lqi: null, snr: null, temp_c: null, battery_v: null,
      accuracy_err_pct: typeof details.accuracyErrPct === "number" ? details.accuracyErrPct : null,
      fw_metrology: str(details.fwMetrology), fw_comms: str(details.fwComms), fw_sha256: str(details.sha256), cert_not_after: null,
      msg: o.status === "fail" ? o.message : o.status === "timeout" ? "no answer from the head-end in time" : "",
      attrs: { key: d.key, attempt: String(d.row.attempts) }, source_host: os.hostname(), source_app: "campaign-dispatcher",
    };
  }

  async function sendBatch(c: CampaignRow, leased: LeasedRow[], at: Date): Promise<{ sent: number; stale: number }> {
    const jobType = c.jobType as JobType;
    const options = readOptions(c.options);
    const params = jobType === "fota" && options.targetFirmware ? { metrology: options.targetFirmware.metrology, comms: options.targetFirmware.comms } : undefined;
    const withKeys = leased.map((row) => ({ row, key: commandKey(c.id, row.meterId, jobType, row.attempts) }));
    // Written before anything leaves: a crash after this line resends the same keys.
    await db.commandLog.createMany({
      data: withKeys.map(({ row, key }) => ({ idempotencyKey: key, campaignId: c.id, targetId: row.id, meterId: row.meterId, step: jobType, attempt: row.attempts, fence: row.fence, state: "sending", sentAt: at })),
      skipDuplicates: true,
    });
    const outcomes = await Promise.all(
      withKeys.map(({ row, key }) =>
        opts.hes
          .sendCommand({ meterId: row.meterId, step: jobType, params, idempotencyKey: key, timeoutMs: commandTimeoutMs, job: c.id })
          .catch((err: unknown) => ({
            status: "error" as const,
            message: err instanceof Error ? err.message : String(err),
            retryable: !isAppError(err) || err.code === "unavailable",
          })),
      ),
    );
    const done = now();
    const decided = withKeys.map(({ row, key }, i) => decide(jobType, row, key, outcomes[i]!, done));
    const stored = await record(decided, done);
    const accepted = decided.filter((d) => stored.has(d.row.id));
    for (const d of accepted) opts.onRecorded?.({ meterId: d.row.meterId, key: d.key, state: d.state });
    if (writeAuditLines && accepted.length) {
      const rows = accepted
        .map((d) => ({ d, r: auditRecord(c.id, jobType, d, done) }))
        .filter((x): x is { d: Decided; r: AuditRecord } => x.r !== null)
        .map(({ d, r }) => toAuditLogRow(r, { source: `campaign:${c.id}`, position: positionOf(d.key, `${d.row.fence}`) }));
      await insertCampaignAuditRows(rows, `campaign:${c.id}:${owner}:${done.getTime()}:${rows[0]?.id ?? ""}`);
      await refreshMeterStates(accepted.map((d) => d.row.meterId));
    }
    return { sent: leased.length, stale: decided.length - accepted.length };
  }

  async function waveEvidence(campaignId: string, wave: number) {
    const targets = await db.campaignTarget.findMany({ where: { campaignId, wave }, select: { meterId: true, gatewayId: true, state: true, attempts: true, lastCode: true } });
    const perMeter: Record<string, MeterOutcome> = {};
    for (const t of targets) {
      if (t.state === "succeeded") perMeter[t.meterId] = { status: "ok" };
      else if (t.state === "failed" || (t.state === "excluded" && t.attempts > 0)) perMeter[t.meterId] = { status: "failed", code: t.lastCode ?? "UNKNOWN" };
      else if (t.state === "pending" || t.state === "leased" || t.state === "sent") perMeter[t.meterId] = { status: "pending" };
    }
    return { targets, perMeter };
  }

  async function applyDecision(c: CampaignRow, waveId: string, waveIndex: number, decision: GateDecision, reasons: { code: string; message: string }[], at: Date) {
    const text = reasons.map((r) => `${r.code}: ${r.message}`).join("; ");
    if (decision === "continue") {
      await db.campaignWave.update({ where: { id: waveId }, data: { state: "passed", decision, reasons, decidedAt: at } });
    } else if (decision === "pause") {
      await db.campaignWave.update({ where: { id: waveId }, data: { state: "paused", decision, reasons, decidedAt: at } });
      await db.campaign.updateMany({ where: { id: c.id, status: "running" }, data: { status: "paused", statusReason: `gate of wave ${waveIndex}: ${text}`.slice(0, 1000) } });
    } else if (decision === "abort") {
      await db.campaignWave.update({ where: { id: waveId }, data: { state: "failed", decision, reasons, decidedAt: at } });
      await abortCampaignAs(c.id, `gate of wave ${waveIndex}: ${text}`.slice(0, 1000), at).catch(() => {});
    }
    if (decision !== "wait") {
      await recordAuditEvent({ actor: null, action: "campaign.gate", target: c.id, outcome: decision === "continue" ? "ok" : "failed", details: { wave: waveIndex, decision, reasons } });
    }
  }

  /** Wave start: re-run preflight on current state; field steps become work orders. */
  async function beginWave(c: CampaignRow, wave: { id: string; index: number }, at: Date) {
    const jobType = c.jobType as JobType;
    const options = readOptions(c.options);
    const targets = await db.campaignTarget.findMany({ where: { campaignId: c.id, wave: wave.index, state: "pending" }, select: { id: true, meterId: true } });
    if (!targets.length) return;
    const catalogue = jobType === "fota" ? await getFirmwareCatalogue() : undefined;
    const rows = await findTargetMeters({ meters: targets.map((t) => t.meterId) }, { now: at.getTime() });
    const byId = new Map(rows.map((r) => [r.meter, r]));
    const check = createPreflight({ jobType, catalogue, targetFirmware: options.targetFirmware }, at);
    for (const t of targets) {
      const row = byId.get(t.meterId);
      const result = row ? check(toPlanMeter(row)) : { ok: false as const, reasons: [{ code: "METER_UNKNOWN", message: "no longer in the fleet inventory" }] };
      if (!result.ok) {
        await db.campaignTarget.updateMany({
          where: { id: t.id, state: "pending" },
          data: { state: "excluded", lastCode: result.reasons[0]?.code, reason: `preflight at dispatch: ${result.reasons.map((r) => `${r.code}: ${r.message}`).join("; ")}`.slice(0, 1000), updatedAt: at },
        });
      }
    }
    if (getJobTypeSpec(jobType).execution === "field") {
      const open = await db.campaignTarget.findMany({ where: { campaignId: c.id, wave: wave.index, state: "pending" }, select: { meterId: true } });
      await db.workOrder.createMany({ data: open.map((t) => ({ campaignId: c.id, meterId: t.meterId, jobType, reason: `campaign wave ${wave.index}` })), skipDuplicates: true });
      await db.campaignTarget.updateMany({ where: { campaignId: c.id, wave: wave.index, state: "pending" }, data: { state: "sent", updatedAt: at } });
    }
  }

  async function tickCampaign(c: CampaignRow, result: TickResult): Promise<void> {
    const jobType = c.jobType as JobType;
    const spec = getJobTypeSpec(jobType);
    const options = readOptions(c.options);
    const at = now();
    const wave = await db.campaignWave.findFirst({ where: { campaignId: c.id, state: { in: ["pending", "running", "soaking", "paused"] } }, orderBy: { index: "asc" } });
    if (!wave) {
      const open = await db.campaignTarget.count({ where: { campaignId: c.id, state: { in: [...OPEN_STATES] } } });
      if (open === 0) {
        const moved = await db.campaign.updateMany({ where: { id: c.id, status: "running" }, data: { status: "completed", finishedAt: at } });
        if (moved.count) await recordAuditEvent({ actor: null, action: "campaign.complete", target: c.id, outcome: "ok" });
      }
      return;
    }
    if (wave.state === "paused") return;
    let state = wave.state;
    if (state === "pending") {
      if (at < wave.scheduledAt) {
        result.nextWakeAt = minDate(result.nextWakeAt, wave.scheduledAt);
        return;
      }
      const gateways = await db.campaignTarget.findMany({ where: { campaignId: c.id, wave: wave.index }, distinct: ["gatewayId"], select: { gatewayId: true } });
      const gasp = await getLastGaspRate({ gateways: gateways.map((g) => g.gatewayId), from: at.getTime() - 5 * 60_000, to: at.getTime() });
      if (gasp >= options.thresholds.lastGaspPerMin) {
        await applyDecision(c, wave.id, wave.index, "pause", [{ code: "LAST_GASP_STORM", message: `${gasp.toFixed(1)} last-gasp messages/min behind this wave's gateways, at or above ${options.thresholds.lastGaspPerMin}` }], at);
        result.decisions.push({ campaignId: c.id, wave: wave.index, decision: "pause" });
        return;
      }
      const claimed = await db.campaignWave.updateMany({ where: { id: wave.id, state: "pending" }, data: { state: "running", startedAt: at } });
      if (claimed.count) await beginWave(c, wave, at);
      state = "running";
    }
    if (state === "running") {
      if (spec.execution === "remote") {
        for (;;) {
          const leased = await leaseTargets(c.id, wave.index, now());
          if (!leased.length) break;
          const sent = await sendBatch(c, leased, now());
          result.commands += sent.sent;
          result.staleResults += sent.stale;
          // Stop leasing once the campaign was paused or aborted meanwhile.
          const still = await db.campaign.findUnique({ where: { id: c.id }, select: { status: true } });
          if (still?.status !== "running") return;
        }
      }
      const t = now();
      const { perMeter } = await waveEvidence(c.id, wave.index);
      const open = Object.values(perMeter).filter((o) => o.status === "pending").length;
      if (open === 0) {
        const soakMs = (options.soakMinutes ?? spec.soakMinutes) * 60_000;
        await db.campaignWave.updateMany({ where: { id: wave.id, state: "running" }, data: { state: "soaking", soakEndsAt: new Date(t.getTime() + soakMs) } });
        result.nextWakeAt = minDate(result.nextWakeAt, new Date(t.getTime() + soakMs));
        return;
      }
      // Mid-wave: failures alone may already break the error budget (an operator's resume accepts them).
      if (wave.decision !== "resumed") {
        const th = options.thresholds;
        const gate = evaluateWave({ perMeter, healthAfterSoak: null, soakEndsAt: new Date(8.64e15) }, { successPct: th.successPct, maxErrors: { pct: th.maxErrorPct, count: th.maxErrorCount }, onBreach: th.onBreach }, { regionLastGaspPerMin: 0, stormThreshold: th.lastGaspPerMin }, t);
        if (gate.decision === "pause" || gate.decision === "abort") {
          await applyDecision(c, wave.id, wave.index, gate.decision, gate.reasons.filter((r) => r.code !== "SOAKING"), t);
          result.decisions.push({ campaignId: c.id, wave: wave.index, decision: gate.decision });
          return;
        }
      }
      const due = await db.campaignTarget.aggregate({ where: { campaignId: c.id, wave: wave.index, state: "pending" }, _min: { nextAttemptAt: true } });
      const lease = await db.campaignTarget.aggregate({ where: { campaignId: c.id, wave: wave.index, state: "leased" }, _min: { leaseExpiresAt: true } });
      result.nextWakeAt = minDate(minDate(result.nextWakeAt, due._min.nextAttemptAt), lease._min.leaseExpiresAt);
      return;
    }
    if (state === "soaking") {
      const t = now();
      if (wave.soakEndsAt && t < wave.soakEndsAt) {
        result.nextWakeAt = minDate(result.nextWakeAt, wave.soakEndsAt);
        return;
      }
      const { targets, perMeter } = await waveEvidence(c.id, wave.index);
      const meters = Object.keys(perMeter);
      const from = (wave.startedAt ?? wave.scheduledAt).getTime();
      const health = meters.length
        ? await getWaveHealth({ campaignId: c.id, step: jobType, meters, from, to: t.getTime() + 1, targetFirmware: jobType === "fota" ? options.targetFirmware ?? null : null })
        : { reRegistered: 0, hashMatches: null, newFaults: {} };
      const gateways = [...new Set(targets.map((x) => x.gatewayId))];
      const gasp = await getLastGaspRate({ gateways, from: t.getTime() - 5 * 60_000, to: t.getTime() + 1 });
      const th = options.thresholds;
      const gate = evaluateWave(
        { perMeter, healthAfterSoak: health, soakEndsAt: wave.soakEndsAt ?? t },
        { successPct: th.successPct, maxErrors: { pct: th.maxErrorPct, count: th.maxErrorCount }, onBreach: th.onBreach },
        { regionLastGaspPerMin: gasp, stormThreshold: th.lastGaspPerMin },
        t,
      );
      if (gate.decision === "wait") {
        result.nextWakeAt = minDate(result.nextWakeAt, new Date(t.getTime() + 30_000));
        return;
      }
      // Only one worker may decide a wave.
      const claimed = await db.campaignWave.updateMany({ where: { id: wave.id, state: "soaking" }, data: { decidedAt: t } });
      if (!claimed.count) return;
      await applyDecision(c, wave.id, wave.index, gate.decision, gate.reasons, t);
      result.decisions.push({ campaignId: c.id, wave: wave.index, decision: gate.decision });
      if (gate.decision === "continue") result.nextWakeAt = minDate(result.nextWakeAt, t);
    }
  }

  async function tick(): Promise<TickResult> {
    const result: TickResult = { commands: 0, staleResults: 0, runningCampaigns: 0, nextWakeAt: null, decisions: [] };
    const campaigns = await db.campaign.findMany({ where: { status: "running" }, select: { id: true, jobType: true, options: true }, orderBy: { startedAt: "asc" } });
    result.runningCampaigns = campaigns.length;
    await Promise.all(
      campaigns.map(async (c) => {
        try {
          await tickCampaign(c, result);
        } catch (err) {
          console.error(`[dispatcher] campaign ${c.id}:`, err);
          result.nextWakeAt = minDate(result.nextWakeAt, new Date(now().getTime() + 5_000));
        }
        if (opts.publish) {
          const last = lastPublished.get(c.id) ?? 0;
          if (Date.now() - last >= 500) {
            lastPublished.set(c.id, Date.now());
            await publishProgress(c.id).catch(() => {});
          }
        }
      }),
    );
    return result;
  }

  return { owner, tick };
}
export type Dispatcher = ReturnType<typeof createDispatcher>;

// ---------------------------------------------------------------- the server's loop

const g = globalThis as unknown as { __amiDispatcher?: { stop(): Promise<void> } };

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
    while (!isStopping) {
      let delay = idleMs;
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
  })();
  const handle = {
    async stop() {
      isStopping = true;
      wake?.();
      await loop.catch(() => {});
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
