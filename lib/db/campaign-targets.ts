// PostgreSQL repository of campaigns: the only place with SQL on "CampaignTarget" (and the raw
// statements of the dispatcher and the service on "CampaignWave" and "CommandLog"). Each function is
// (db, input) => rows; the dispatcher decides, these statements store and read.
import { randomUUID } from "node:crypto";
import { Prisma, type PrismaClient } from "@/lib/db";
import { parseJsonRows, queryJsonRows } from "@/lib/db/json-rows";
import { stringifyWellFormed } from "@/lib/format/json-text";
import type { Decided } from "@/lib/campaigns/dispatch/outcome";
import { FOLLOW_UP_JOB_TYPE } from "@/lib/scheduling/job-types";

export type Db = Pick<PrismaClient, "$queryRaw" | "$executeRaw" | "$transaction">;

/** A wave by campaign and index. */
export interface WaveRef {
  campaignId: string;
  index: number;
}

export const waveKey = (campaignId: string, index: number) => `${campaignId}#${index}`;

/** Advisory-lock class of the lease statement (any fixed int; the schema's hash is the second key). */
const LEASE_LOCK_CLASS = 420_733;

/** A leased row as the lease statement returns it (json_build_array, in LeasedTarget's order). */
type LeasedTuple = [
  id: string,
  campaignId: string,
  meterId: string,
  gatewayId: string,
  attempts: number,
  fence: number,
  key: string,
  leaseExpiresAt: string,
  rn: number,
  slots: number | null,
  fresh: boolean,
];

export interface LeasedTarget {
  id: string;
  campaignId: string;
  meterId: string;
  gatewayId: string;
  attempts: number;
  fence: number;
  /** The idempotency key its CommandLog row was written with. */
  key: string;
  leaseExpiresAt: Date;
  /** Rank among the targets leased on its gateway, and the sessions this worker may hold there (null: no limit). */
  rn: number;
  slots: number | null;
  /** The lease counted a new attempt (the target was pending, not a reclaimed lease). */
  fresh: boolean;
}

export interface LeaseInput {
  owner: string;
  waves: WaveRef[];
  at: Date;
  leaseMs: number;
  commandTimeoutMs: number;
  batchSize: number;
  /** PGlite runs one statement at a time: no advisory lock needed. */
  isPglite: boolean;
}

/**
 * One statement leases the due targets of all the given running waves (of campaigns still
 * running), and says for each gateway how many sessions this worker may open there: its
 * concurrent-session limit (sessionCap, frozen at start) less the leases every worker
 * already holds on it, across all campaigns. Leases are counted in the waves that may have
 * commands out: running or paused, or decided within the last lease and command timeout
 * (an abort or a gate may end a wave while its last commands are out). Past its limit the
 * head-end queues and times commands out (HES_TIMEOUT, retried minutes later): in the
 * bench, 20 campaigns' waves leased together without this cap sent a quarter of their
 * commands over a limit and the whole run fell to 28-166 commands/s.
 * A gateway with more due targets than free sessions has them all leased at once and sent
 * `slots` at a time (dispatch sendLeased). The target ranked rn on its gateway waits at most
 * floor((rn - 1) / slots) command timeouts for its turn, and its lease is that much longer.
 * Other workers count all of them as busy, so the gateway never carries more than its
 * limit. Leasing only what fits and going round again cost a lease and a record statement
 * per round: most of a tick's time when a few gateways hold many of the due targets.
 */
export async function leaseTargets(db: Db, { owner, waves, at, leaseMs, commandTimeoutMs, batchSize, isPglite }: LeaseInput): Promise<LeasedTarget[]> {
  const ids = waves.map((w) => w.campaignId);
  const indexes = waves.map((w) => w.index);
  const keys = waves.map((w) => waveKey(w.campaignId, w.index));
  const isDue = (alias: string) => Prisma.sql`${Prisma.raw(alias)}."campaignId" = ANY(${ids}::text[]) AND ${Prisma.raw(alias)}.wave = ANY(${indexes}::int[])
          AND (${Prisma.raw(alias)}."campaignId" || '#' || ${Prisma.raw(alias)}.wave) = ANY(${keys}::text[])
          AND ((${Prisma.raw(alias)}.state = 'pending' AND (${Prisma.raw(alias)}."nextAttemptAt" IS NULL OR ${Prisma.raw(alias)}."nextAttemptAt" <= ${at}))
               OR (${Prisma.raw(alias)}.state = 'leased' AND ${Prisma.raw(alias)}."leaseExpiresAt" < ${at}))`;
  // The CommandLog rows (state "sending") are written by the same statement, so they are
  // committed before anything leaves: a crash after it resends the same keys. The key is
  // commandKey() (service.ts) computed in SQL; the sends use the key returned here.
  const leaseSql = Prisma.sql`
      WITH upd AS (
      UPDATE "CampaignTarget" AS t
      SET state = 'leased', "leaseOwner" = ${owner}, fence = t.fence + 1, "updatedAt" = ${at},
          "leaseExpiresAt" = ${at}::timestamptz + (${leaseMs}::int + (CASE WHEN due.slots IS NULL THEN 0 ELSE (due.rn - 1) / due.slots END) * ${commandTimeoutMs}::int) * interval '1 millisecond',
          attempts = CASE WHEN t.state = 'pending' THEN t.attempts + 1 ELSE t.attempts END
      FROM (
        SELECT c.id, cand.rn, cand.slots, c.state = 'pending' AS fresh FROM "CampaignTarget" AS c
        JOIN (
          SELECT d.id, d.rn::int AS rn, (d.cap - coalesce(busy.n, 0))::int AS slots FROM (
            SELECT d.id, d."gatewayId", row_number() OVER (PARTITION BY d."gatewayId" ORDER BY d.id) AS rn,
                   min(d."sessionCap") OVER (PARTITION BY d."gatewayId") AS cap
            FROM "CampaignTarget" AS d
            WHERE ${isDue("d")}
              AND d."campaignId" = ANY(ARRAY(SELECT r.id FROM "Campaign" AS r WHERE r.id = ANY(${ids}::text[]) AND r.status = 'running'))) AS d
          LEFT JOIN (
            SELECT b."gatewayId", count(*)::int AS n FROM "CampaignTarget" AS b
            JOIN "CampaignWave" AS w ON w."campaignId" = b."campaignId" AND w.index = b.wave
            WHERE (w.state IN ('running', 'paused') OR w."decidedAt" >= ${new Date(at.getTime() - leaseMs - commandTimeoutMs)})
              AND b.state = 'leased' AND b."leaseExpiresAt" >= ${at}
            GROUP BY b."gatewayId") AS busy ON busy."gatewayId" = d."gatewayId"
          WHERE d.cap IS NULL OR coalesce(busy.n, 0) < d.cap
          ORDER BY d.rn, d.id
          LIMIT ${batchSize}) AS cand ON cand.id = c.id
        WHERE ${isDue("c")}
        FOR UPDATE OF c SKIP LOCKED) AS due
      WHERE t.id = due.id
      RETURNING t.id, t."campaignId", t."meterId", t."gatewayId", t.attempts, t.fence, t."leaseExpiresAt", due.rn, due.slots, due.fresh
      ), k AS (
        SELECT upd.*, cp."jobType" AS step,
               left(encode(sha256(convert_to(upd."campaignId" || '|' || upd."meterId" || '|' || cp."jobType", 'UTF8')), 'hex'), 32)
                 || CASE WHEN upd.attempts > 1 THEN '.r' || upd.attempts ELSE '' END AS key
        FROM upd JOIN "Campaign" AS cp ON cp.id = upd."campaignId"
      ), logged AS (
        INSERT INTO "CommandLog" ("idempotencyKey", "campaignId", "targetId", "meterId", step, attempt, fence, state, "sentAt")
        SELECT k.key, k."campaignId", k.id, k."meterId", k.step, k.attempts, k.fence, 'sending', ${at} FROM k
        ON CONFLICT ("idempotencyKey") DO NOTHING
      )
      SELECT json_agg(json_build_array(k.id, k."campaignId", k."meterId", k."gatewayId", k.attempts, k.fence, k.key, k."leaseExpiresAt", k.rn, k.slots, k.fresh))::text AS j FROM k`;
  const lease = async (q: Pick<Db, "$queryRaw">): Promise<LeasedTarget[]> => {
    const [row] = await q.$queryRaw<{ j: string | null }[]>(leaseSql);
    return parseJsonRows<LeasedTuple>(row?.j).map(([id, campaignId, meterId, gatewayId, attempts, fence, key, leaseExpiresAt, rn, slots, fresh]) => ({
      id,
      campaignId,
      meterId,
      gatewayId,
      attempts,
      fence,
      key,
      leaseExpiresAt: new Date(leaseExpiresAt),
      rn,
      slots,
      fresh,
    }));
  };
  // PGlite is one process running one statement at a time: the statement alone is atomic.
  // On PostgreSQL two workers' statements would each count the other's leases as free, so
  // leasing is serialised per schema by a transaction-scoped advisory lock (held only for
  // this one statement; the sends happen after the commit).
  if (isPglite) return lease(db);
  return db.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT 1 AS ok FROM (SELECT pg_advisory_xact_lock(${LEASE_LOCK_CLASS}::int, hashtext(current_schema()))) AS l`;
    return lease(tx);
  });
}

/**
 * Leases this worker took but did not send (their campaign was paused or aborted meanwhile)
 * go back to pending as they were (skipped, if the campaign was aborted: its abort skipped
 * the pending targets before these came back): the attempt the lease counted is taken back, so the
 * next lease sends the same key, and the CommandLog rows this lease wrote (same fence,
 * still "sending") are removed, since those commands never left. A row an earlier lease
 * wrote under the same key stays: that command may have gone out.
 */
export async function releaseLeases(db: Db, { owner, rows, at }: { owner: string; rows: Pick<LeasedTarget, "id" | "fence" | "fresh" | "key">[]; at: Date }): Promise<void> {
  if (!rows.length) return;
  await db.$executeRaw`
      WITH v AS (
        SELECT x.*, ${owner}::text AS owner, 'leased'::"CampaignTargetState" AS held
        FROM unnest(${rows.map((r) => r.id)}::text[], ${rows.map((r) => r.fence)}::int[], ${rows.map((r) => (r.fresh ? 1 : 0))}::int[], ${rows.map((r) => r.key)}::text[])
          AS x(id, fence, counted, key)
      ), released AS (
        UPDATE "CampaignTarget" AS t
        SET state = CASE WHEN cp.status = 'aborted' THEN 'skipped'::"CampaignTargetState" ELSE 'pending'::"CampaignTargetState" END,
            reason = CASE WHEN cp.status = 'aborted' THEN left('campaign aborted: ' || coalesce(cp."statusReason", ''), 1000) ELSE t.reason END,
            "leaseOwner" = NULL, "leaseExpiresAt" = NULL, "updatedAt" = ${at}, attempts = t.attempts - v.counted
        FROM v, "Campaign" AS cp
        WHERE t.id = v.id AND t.fence = v.fence AND t."leaseOwner" = v.owner AND t.state = v.held AND cp.id = t."campaignId"
        RETURNING t.id, t.fence
      )
      DELETE FROM "CommandLog" AS c USING v, released AS r
      WHERE r.id = v.id AND c."idempotencyKey" = v.key AND c."targetId" = r.id AND c.fence = r.fence AND c.state = 'sending'`;
}

/**
 * Store outcomes whose fence still holds, and finish their CommandLog rows, in one statement.
 * The lease owner and state are compared with columns of v, not constants: PGlite never
 * analyses its tables, and constant filters on "CampaignTarget" (no index holds these
 * columns) were estimated at one row, planning a nested loop of every target against every
 * outcome (1.6 s for 1 000 outcomes). As join conditions they leave the estimate at the
 * table's size: the outcomes are looked up by primary key, or hashed.
 */
export async function recordOutcomes(db: Db, { owner, decided, at }: { owner: string; decided: Decided[]; at: Date }): Promise<{ stored: Set<string>; workOrders: number }> {
  if (!decided.length) return { stored: new Set(), workOrders: 0 };
  const input = decided.map((d) => ({
    id: d.row.id,
    fence: d.row.fence,
    state: d.state,
    code: d.code,
    reason: d.reason,
    next_at: d.nextAttemptAt ? d.nextAttemptAt.toISOString() : null,
    delta: d.attemptsDelta,
    key: d.key,
    log_state: d.outcome.status === "error" ? "error" : d.outcome.status,
    outcome: d.outcome,
    wo_id: d.followUp ? `wo_${randomUUID()}` : null,
    wo_reason: d.followUp,
  }));
  const recSql = Prisma.sql`
      WITH v AS (
        SELECT x.*, ${owner}::text AS owner, 'leased'::"CampaignTargetState" AS held
        FROM json_to_recordset(${stringifyWellFormed(input)}::json)
          AS x(id text, fence int, state text, code text, reason text, next_at text, delta int, key text, log_state text, outcome jsonb, wo_id text, wo_reason text)
      ), upd AS (
        UPDATE "CampaignTarget" AS t
        SET state = v.state::"CampaignTargetState", "lastCode" = v.code, reason = v.reason,
            "nextAttemptAt" = v.next_at::timestamptz, attempts = t.attempts + v.delta,
            "leaseOwner" = NULL, "leaseExpiresAt" = NULL, "updatedAt" = ${at}
        FROM v
        WHERE t.id = v.id AND t.fence = v.fence AND t."leaseOwner" = v.owner AND t.state = v.held
        RETURNING t.id, t."campaignId", t."meterId"
      ), logs AS (
        UPDATE "CommandLog" AS c
        SET state = v.log_state, code = v.code, outcome = v.outcome, "finishedAt" = ${at}
        FROM v WHERE c."idempotencyKey" = v.key AND v.id IN (SELECT id FROM upd) AND v.log_state <> 'error'
        RETURNING c."idempotencyKey"
      ), orders AS (
        -- A finding's work order is written with its outcome: a crash cannot keep one without the other.
        INSERT INTO "WorkOrder" (id, "campaignId", "meterId", "jobType", reason)
        SELECT v.wo_id, u."campaignId", u."meterId", ${FOLLOW_UP_JOB_TYPE}, v.wo_reason FROM v JOIN upd AS u ON u.id = v.id
        WHERE v.wo_id IS NOT NULL
        ON CONFLICT ("campaignId", "meterId", "jobType") DO NOTHING
        RETURNING id
      )
      SELECT (SELECT json_agg(id) FROM upd)::text AS j, (SELECT count(*) FROM orders)::int AS orders`;
  const [row] = await db.$queryRaw<{ j: string | null; orders: number }[]>(recSql);
  return { stored: new Set(parseJsonRows<string>(row?.j)), workOrders: Number(row?.orders ?? 0) };
}

/** A campaign's first unfinished wave, as the dispatcher works on it. */
export type WaveRow = {
  id: string;
  campaignId: string;
  index: number;
  state: string;
  scheduledAt: Date;
  startedAt: Date | null;
  soakEndsAt: Date | null;
  decision: string | null;
  timezone: string;
  windowStart: Date | null;
  windowEnd: Date | null;
};

/** The first wave in one of `openStates` per campaign (a 1 M-meter campaign has 10 000 waves). */
export async function findFirstOpenWaves(db: Db, { campaignIds, openStates }: { campaignIds: string[]; openStates: readonly string[] }): Promise<WaveRow[]> {
  return db.$queryRaw<WaveRow[]>`
      SELECT DISTINCT ON (w."campaignId") w.id, w."campaignId", w.index, w.state::text AS state, w."scheduledAt", w."startedAt", w."soakEndsAt", w.decision,
             w.timezone, w."windowStart", w."windowEnd"
      FROM "CampaignWave" AS w
      WHERE w."campaignId" = ANY(${campaignIds}::text[]) AND w.state = ANY(${[...openStates]}::text[]::"CampaignWaveState"[])
      ORDER BY w."campaignId", w.index`;
}

/** The targets of many waves with what a gate reads of them. */
export interface TargetEvidence {
  campaignId: string;
  wave: number;
  meterId: string;
  gatewayId: string;
  state: string;
  attempts: number;
  lastCode: string | null;
  nextAttemptAt: Date | null;
  leaseExpiresAt: Date | null;
}

export async function findWaveTargetEvidence(db: Db, waves: WaveRef[]): Promise<TargetEvidence[]> {
  if (!waves.length) return [];
  return queryJsonRows<TargetEvidence>(
    db,
    Prisma.sql`
      SELECT t."campaignId", t.wave, t."meterId", t."gatewayId", t.state::text AS state, t.attempts, t."lastCode", t."nextAttemptAt", t."leaseExpiresAt"
      FROM "CampaignTarget" AS t
      WHERE t."campaignId" = ANY(${waves.map((w) => w.campaignId)}::text[]) AND t.wave = ANY(${waves.map((w) => w.index)}::int[])
        AND (t."campaignId" || '#' || t.wave) = ANY(${waves.map((w) => waveKey(w.campaignId, w.index))}::text[])`,
    ["nextAttemptAt", "leaseExpiresAt"],
  );
}

export interface WaveTallyRow {
  campaignId: string;
  wave: number;
  state: string;
  lastCode: string | null;
  attempted: boolean;
  n: number;
  nextAt: Date | null;
  leaseAt: Date | null;
}

/** Targets of many waves grouped by state, last code and attempted: counts, not meter ids. */
export async function countWaveTargets(db: Db, waves: WaveRef[]): Promise<WaveTallyRow[]> {
  if (!waves.length) return [];
  return db.$queryRaw<WaveTallyRow[]>`
      SELECT t."campaignId", t.wave, t.state::text AS state, t."lastCode", t.attempts > 0 AS attempted, count(*)::int AS n,
             min(t."nextAttemptAt") AS "nextAt", min(t."leaseExpiresAt") AS "leaseAt"
      FROM "CampaignTarget" AS t
      WHERE t."campaignId" = ANY(${waves.map((w) => w.campaignId)}::text[]) AND t.wave = ANY(${waves.map((w) => w.index)}::int[])
        AND (t."campaignId" || '#' || t.wave) = ANY(${waves.map((w) => waveKey(w.campaignId, w.index))}::text[])
      GROUP BY 1, 2, 3, 4, 5`;
}

export interface WaveTarget {
  id: string;
  campaignId: string;
  wave: number;
  meterId: string;
  gatewayId: string;
  state: string;
}

/** The targets of waves about to start (their gateways for LAST_GASP, their pending meters for preflight). */
export async function findWaveTargets(db: Db, waves: WaveRef[]): Promise<WaveTarget[]> {
  return queryJsonRows<WaveTarget>(
    db,
    Prisma.sql`
      SELECT t.id, t."campaignId", t.wave, t."meterId", t."gatewayId", t.state::text AS state FROM "CampaignTarget" AS t
      WHERE t."campaignId" = ANY(${waves.map((w) => w.campaignId)}::text[]) AND t.wave = ANY(${waves.map((w) => w.index)}::int[])
        AND (t."campaignId" || '#' || t.wave) = ANY(${waves.map((w) => waveKey(w.campaignId, w.index))}::text[])`,
  );
}

/** Preflight at wave start: still-pending targets it refuses become excluded, with the reason. */
export async function excludePendingTargets(db: Db, { excluded, at }: { excluded: { id: string; code: string | null; reason: string }[]; at: Date }): Promise<void> {
  if (!excluded.length) return;
  await db.$executeRaw`
          UPDATE "CampaignTarget" AS t SET state = 'excluded', "lastCode" = x.code, reason = x.reason, "updatedAt" = ${at}
          FROM (SELECT u.*, 'pending'::"CampaignTargetState" AS open
                FROM unnest(${excluded.map((e) => e.id)}::text[], ${excluded.map((e) => e.code)}::text[], ${excluded.map((e) => e.reason)}::text[]) AS u(id, code, reason)) AS x
          WHERE t.id = x.id AND t.state = x.open`; // compared with a column: see recordOutcomes
}

/** Pending waves become running (one worker claims each); returns the claimed wave ids. */
export async function claimWaves(db: Db, { waveIds, at }: { waveIds: string[]; at: Date }): Promise<Set<string>> {
  const rows = await db.$queryRaw<{ id: string }[]>`
        UPDATE "CampaignWave" SET state = 'running', "startedAt" = ${at}
        WHERE id = ANY(${waveIds}::text[]) AND state = 'pending' RETURNING id`;
  return new Set(rows.map((r) => r.id));
}

/** Finished running waves start their soaks. */
export async function startSoaks(db: Db, soaks: { id: string; endsAt: Date }[]): Promise<void> {
  if (!soaks.length) return;
  await db.$executeRaw`
        UPDATE "CampaignWave" AS w SET state = 'soaking', "soakEndsAt" = v.ends_at::timestamptz
        FROM unnest(${soaks.map((x) => x.id)}::text[], ${soaks.map((x) => x.endsAt.toISOString())}::text[]) AS v(id, ends_at)
        WHERE w.id = v.id AND w.state = 'running'`;
}

/** Soaked waves that passed their gate (still soaking: one worker decides a wave); returns the moved ids. */
export async function passWaves(db: Db, { passes, at }: { passes: { waveId: string; reasons: { code: string; message: string }[] }[]; at: Date }): Promise<Set<string>> {
  if (!passes.length) return new Set();
  const rows = await db.$queryRaw<{ id: string }[]>`
        UPDATE "CampaignWave" AS w SET state = 'passed', decision = 'continue', reasons = v.reasons::jsonb, "decidedAt" = ${at}
        FROM unnest(${passes.map((p) => p.waveId)}::text[], ${passes.map((p) => JSON.stringify(p.reasons))}::text[]) AS v(id, reasons)
        WHERE w.id = v.id AND w.state = 'soaking'
        RETURNING w.id`;
  return new Set(rows.map((r) => r.id));
}

/** The firmware pair reported by the answered commands with these keys (a FOTA's "ok" outcomes). */
export async function findReportedFirmware(db: Db, keys: string[]): Promise<{ campaignId: string; meterId: string; metrology: string | null; comms: string | null }[]> {
  if (!keys.length) return [];
  return db.$queryRaw<{ campaignId: string; meterId: string; metrology: string | null; comms: string | null }[]>`
      SELECT "campaignId", "meterId", outcome->'details'->>'fwMetrology' AS metrology, outcome->'details'->>'fwComms' AS comms
      FROM "CommandLog" WHERE "idempotencyKey" = ANY(${keys}::text[]) AND state = 'ok'`;
}

/** New start times and windows for a campaign's pending waves, in one statement (a 1 M-meter plan has 10 000 waves). */
export async function rescheduleWaves(
  db: Pick<Db, "$executeRaw">,
  { campaignId, timings }: { campaignId: string; timings: { index: number; startAt: Date; windowStart: Date | null; windowEnd: Date | null }[] },
): Promise<void> {
  if (!timings.length) return;
  await db.$executeRaw`
    UPDATE "CampaignWave" AS w SET "scheduledAt" = x.at, "windowStart" = x.ws, "windowEnd" = x.we
    FROM unnest(${timings.map((t) => t.index)}::int[], ${timings.map((t) => t.startAt)}::timestamptz[],
                ${timings.map((t) => t.windowStart)}::timestamptz[], ${timings.map((t) => t.windowEnd)}::timestamptz[]) AS x(idx, at, ws, we)
    WHERE w."campaignId" = ${campaignId} AND w.index = x.idx AND w.state = 'pending'`;
}

/** Held to the end of the transaction: one start per job type at a time decides against the others' meters. */
export async function lockApprovalPool(db: Pick<Db, "$queryRaw">, jobType: string): Promise<void> {
  await db.$queryRaw`SELECT 1 AS locked FROM (SELECT pg_advisory_xact_lock(hashtext(${`campaign-approval:${jobType}`}))) AS l`;
}
