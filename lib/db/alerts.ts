// PostgreSQL repository of alerts: rules and their evaluation lease, alert rows (one per
// rule x group), their history, and the campaign facts rules read. The evaluator decides
// (lib/alerts/evaluator.ts); these statements store and read.
import { randomUUID } from "node:crypto";
import { Prisma, type PrismaClient } from "@/lib/db";
import { getDb } from "@/lib/db";
import type { AlertSnapshot, AlertState, AlertEventOut } from "@/lib/alerts/state";
import { FLAP_WINDOW_MS } from "@/lib/alerts/state";
import type { CampaignSnapshot } from "@/lib/alerts/conditions";
import type { Severity } from "@/lib/alerts/rules";

export type Db = PrismaClient;

/** In the upsert below: the stored alert starts a new episode (pending again, or firing from this tick). */
const NEW_EPISODE = Prisma.sql`(EXCLUDED.state = 'pending' OR (EXCLUDED.state = 'firing' AND EXCLUDED."firedAt" = EXCLUDED."updatedAt"))`;

export interface LeasedRule {
  id: string;
  name: string;
  kind: string;
  params: unknown;
  severity: Severity;
  intervalSeconds: number;
  forSeconds: number;
  recoverSeconds: number;
  runbookUrl: string | null;
  channelIds: string[];
  nextEvalAt: Date;
}

/**
 * Leases the enabled rules due at `at`: one statement, FOR UPDATE SKIP LOCKED, so two
 * processes never hold one rule; the lease expires, so a dead process's rules come back.
 * The caller moves nextEvalAt forward when it stores the result (completeRuleEvaluation).
 */
export async function leaseDueRules(db: Db, input: { owner: string; at: Date; leaseMs: number; limit: number }): Promise<LeasedRule[]> {
  const rows = await db.$queryRaw<Array<LeasedRule & { channelIds: unknown }>>(Prisma.sql`
    UPDATE "AlertRule" AS r
    SET "leaseOwner" = ${input.owner}, "leaseExpiresAt" = ${input.at}::timestamptz + ${input.leaseMs}::int * interval '1 millisecond'
    FROM (
      SELECT id FROM "AlertRule"
      WHERE enabled AND "nextEvalAt" <= ${input.at} AND ("leaseExpiresAt" IS NULL OR "leaseExpiresAt" < ${input.at})
      ORDER BY "nextEvalAt", id
      LIMIT ${input.limit}
      FOR UPDATE SKIP LOCKED
    ) AS due
    WHERE r.id = due.id
    RETURNING r.id, r.name, r.kind, r.params, r.severity::text AS severity, r."intervalSeconds", r."forSeconds", r."recoverSeconds", r."runbookUrl", r."channelIds", r."nextEvalAt"`);
  return rows.map((r) => ({ ...r, channelIds: Array.isArray(r.channelIds) ? (r.channelIds as string[]) : [] }));
}

/** Ends a lease: next evaluation one interval after the due time (not after now, so rounds do not drift). */
export async function completeRuleEvaluation(
  db: Pick<Db, "$executeRaw">,
  input: { id: string; owner: string; nextEvalAt: Date; evaluatedAt: Date; elapsedMs: number; error: string | null },
): Promise<boolean> {
  const n = await db.$executeRaw(Prisma.sql`
    UPDATE "AlertRule" SET "leaseOwner" = NULL, "leaseExpiresAt" = NULL, "nextEvalAt" = ${input.nextEvalAt},
      "lastEvalAt" = ${input.evaluatedAt}, "lastEvalMs" = ${Math.round(input.elapsedMs)}, "lastError" = ${input.error}
    WHERE id = ${input.id} AND "leaseOwner" = ${input.owner}`);
  return n > 0;
}

type AlertRow = Awaited<ReturnType<Db["alert"]["findMany"]>>[number];

function toSnapshot(a: AlertRow): AlertSnapshot {
  return {
    fingerprint: a.fingerprint,
    groupKey: a.groupKey,
    labels: a.labels as Record<string, string>,
    state: a.state as AlertState,
    value: a.value,
    summary: a.summary,
    pendingSince: a.pendingSince?.getTime() ?? null,
    firedAt: a.firedAt?.getTime() ?? null,
    resolvedAt: a.resolvedAt?.getTime() ?? null,
    lastTrueAt: a.lastTrueAt?.getTime() ?? null,
    fireTimes: Array.isArray(a.fireTimes) ? (a.fireTimes as number[]) : [],
    isFlapping: a.isFlapping,
  };
}

export interface RuleAlerts {
  snapshots: AlertSnapshot[];
  /** Per fingerprint: the stored id and why it is held, if it is. */
  stored: Map<string, { id: string; suppressedBy: string | null; suppressedReason: string | null; campaignId: string | null }>;
}

/** A rule's open alerts and those resolved within the flap window (their fire times count). */
export async function findRuleAlerts(db: Db, ruleId: string, now: number): Promise<RuleAlerts> {
  const rows = await db.alert.findMany({ where: { ruleId, OR: [{ state: { not: "resolved" } }, { resolvedAt: { gte: new Date(now - FLAP_WINDOW_MS) } }] } });
  return {
    snapshots: rows.map(toSnapshot),
    stored: new Map(rows.map((r) => [r.fingerprint, { id: r.id, suppressedBy: r.suppressedBy, suppressedReason: r.suppressedReason, campaignId: r.campaignId }])),
  };
}

export interface StoredAlert {
  id: string;
  fingerprint: string;
  state: AlertState;
  suppressedBy: string | null;
}

/**
 * Stores a rule's tick in one transaction, only while this process still holds the rule's
 * lease (a stalled evaluator's late result is dropped): the alert rows, their events, the
 * lease's end. Returns the stored alerts by fingerprint, or null when the lease was lost.
 */
export async function storeRuleTick(
  db: Db,
  input: {
    ruleId: string;
    owner: string;
    severity: Severity;
    updates: Array<AlertSnapshot & { meters: string[]; suppressedBy: string | null; suppressedReason: string | null; campaignId: string | null }>;
    events: Array<AlertEventOut & { fingerprint: string; note?: string }>;
    completion: { nextEvalAt: Date; evaluatedAt: Date; elapsedMs: number; error: string | null };
  },
): Promise<Map<string, StoredAlert> | null> {
  return db.$transaction(async (tx) => {
    const held = await completeRuleEvaluation(tx, { id: input.ruleId, owner: input.owner, ...input.completion });
    if (!held) return null;
    const out = new Map<string, StoredAlert>();
    const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
    const evaluatedAt = input.completion.evaluatedAt;
    if (input.updates.length) {
      // One statement for all the rule's alerts (a rule per gateway may hold thousands): insert
      // new fingerprints, update the others in place. A new episode (pending again, or firing
      // from this tick) starts unacknowledged.
      const rows = input.updates.map((u) => ({
        id: `al${randomUUID().replace(/-/g, "").slice(0, 23)}`,
        fingerprint: u.fingerprint,
        groupKey: u.groupKey,
        labels: u.labels,
        state: u.state,
        value: Number.isFinite(u.value) ? u.value : 0,
        summary: u.summary,
        meters: u.meters,
        pendingSince: iso(u.pendingSince),
        firedAt: iso(u.firedAt),
        resolvedAt: iso(u.resolvedAt),
        lastTrueAt: iso(u.lastTrueAt),
        fireTimes: u.fireTimes,
        isFlapping: u.isFlapping,
        suppressedBy: u.suppressedBy,
        suppressedReason: u.suppressedReason,
        campaignId: u.campaignId,
      }));
      const stored = await tx.$queryRaw<Array<{ id: string; fingerprint: string; state: string; suppressedBy: string | null }>>(Prisma.sql`
        INSERT INTO "Alert" (id, "ruleId", fingerprint, "groupKey", labels, state, severity, value, summary, meters, "pendingSince", "firedAt", "resolvedAt",
                             "lastTrueAt", "fireTimes", "isFlapping", "suppressedBy", "suppressedReason", "campaignId", "updatedAt")
        SELECT x.id, ${input.ruleId}, x.fingerprint, x."groupKey", x.labels, x.state::"AlertState", ${input.severity}::"AlertSeverity", x.value, x.summary, x.meters,
               x."pendingSince", x."firedAt", x."resolvedAt", x."lastTrueAt", x."fireTimes", x."isFlapping", x."suppressedBy", x."suppressedReason", x."campaignId", ${evaluatedAt}
        FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS x(id text, fingerprint text, "groupKey" text, labels jsonb, state text, value float8, summary text, meters jsonb,
             "pendingSince" timestamptz, "firedAt" timestamptz, "resolvedAt" timestamptz, "lastTrueAt" timestamptz, "fireTimes" jsonb, "isFlapping" boolean,
             "suppressedBy" text, "suppressedReason" text, "campaignId" text)
        ON CONFLICT (fingerprint) DO UPDATE SET
          "groupKey" = EXCLUDED."groupKey", labels = EXCLUDED.labels, state = EXCLUDED.state, severity = EXCLUDED.severity, value = EXCLUDED.value,
          summary = EXCLUDED.summary, meters = EXCLUDED.meters, "pendingSince" = EXCLUDED."pendingSince", "firedAt" = EXCLUDED."firedAt",
          "resolvedAt" = EXCLUDED."resolvedAt", "lastTrueAt" = EXCLUDED."lastTrueAt", "fireTimes" = EXCLUDED."fireTimes", "isFlapping" = EXCLUDED."isFlapping",
          "suppressedBy" = EXCLUDED."suppressedBy", "suppressedReason" = EXCLUDED."suppressedReason", "campaignId" = EXCLUDED."campaignId", "updatedAt" = EXCLUDED."updatedAt",
          "acknowledgedAt" = CASE WHEN ${NEW_EPISODE} THEN NULL ELSE "Alert"."acknowledgedAt" END,
          "acknowledgedById" = CASE WHEN ${NEW_EPISODE} THEN NULL ELSE "Alert"."acknowledgedById" END,
          "acknowledgedByEmail" = CASE WHEN ${NEW_EPISODE} THEN NULL ELSE "Alert"."acknowledgedByEmail" END,
          "ackNote" = CASE WHEN ${NEW_EPISODE} THEN NULL ELSE "Alert"."ackNote" END
        RETURNING id, fingerprint, state::text AS state, "suppressedBy"`);
      for (const row of stored) out.set(row.fingerprint, { ...row, state: row.state as AlertState });
    }
    if (input.events.length) {
      await tx.alertEvent.createMany({
        data: input.events
          .filter((e) => out.has(e.fingerprint))
          .map((e) => {
            const u = input.updates.find((x) => x.fingerprint === e.fingerprint)!;
            return {
              alertId: out.get(e.fingerprint)!.id,
              ruleId: input.ruleId,
              type: e.type,
              at: new Date(e.at),
              value: Number.isFinite(e.value) ? e.value : null,
              summary: u.summary,
              note: e.note ?? null,
            };
          }),
      });
    }
    return out;
  });
}

/** Campaigns a campaign-event rule looks at: paused or awaiting approval now, aborted within a day. */
export async function findCampaignSnapshots(now: number, db: Db = getDb()): Promise<CampaignSnapshot[]> {
  const rows = await db.campaign.findMany({
    where: { OR: [{ status: { in: ["paused", "awaiting_approval"] } }, { status: "aborted", updatedAt: { gte: new Date(now - 86_400_000) } }] },
    select: { id: true, name: true, status: true, updatedAt: true, statusReason: true },
    take: 500,
  });
  return rows.map((c) => ({ id: c.id, name: c.name, status: c.status, since: c.updatedAt.getTime(), reason: c.statusReason }));
}

/** Silences in force at `at`. */
export async function findActiveSilences(db: Db, at: Date) {
  const rows = await db.silence.findMany({ where: { startsAt: { lte: at }, endsAt: { gt: at } } });
  return rows.map((s) => ({ id: s.id, matchers: s.matchers as Array<{ label: string; value: string }>, startsAt: s.startsAt.getTime(), endsAt: s.endsAt.getTime() }));
}

/** Waves running or soaking now, with their campaign's name and meters. */
export async function findActiveWaves(db: Db): Promise<Array<{ campaignId: string; campaignName: string; index: number; meters: string[] }>> {
  const waves = await db.campaignWave.findMany({
    where: { state: { in: ["running", "soaking"] }, campaign: { status: "running" } },
    select: { campaignId: true, index: true, campaign: { select: { name: true } } },
  });
  if (!waves.length) return [];
  const targets = await db.campaignTarget.findMany({
    where: { OR: waves.map((w) => ({ campaignId: w.campaignId, wave: w.index })) },
    select: { campaignId: true, wave: true, meterId: true },
  });
  return waves.map((w) => ({
    campaignId: w.campaignId,
    campaignName: w.campaign.name,
    index: w.index,
    meters: targets.filter((t) => t.campaignId === w.campaignId && t.wave === w.index).map((t) => t.meterId),
  }));
}

/** Alerts held for a campaign wave (suppressedBy "campaign:<id>:<wave>") that is no longer running or soaking, with the wave's outcome. */
export async function findEndedCampaignHolds(db: Db) {
  const held = await db.alert.findMany({
    where: { suppressedBy: { startsWith: "campaign:" } },
    include: { rule: { select: { id: true, name: true, severity: true, runbookUrl: true, channelIds: true } } },
  });
  if (!held.length) return [];
  const keys = [...new Set(held.map((a) => a.suppressedBy!))].map((k) => {
    const [, campaignId, index] = k.split(":");
    return { key: k, campaignId: campaignId!, index: Number(index) };
  });
  const waves = await db.campaignWave.findMany({
    where: { OR: keys.map((k) => ({ campaignId: k.campaignId, index: k.index })) },
    select: { campaignId: true, index: true, state: true, campaign: { select: { name: true } } },
  });
  const out = [];
  for (const k of keys) {
    const w = waves.find((x) => x.campaignId === k.campaignId && x.index === k.index);
    if (w && (w.state === "running" || w.state === "soaking")) continue;
    out.push({
      key: k.key,
      campaignId: k.campaignId,
      campaignName: w?.campaign.name ?? k.campaignId,
      waveState: w?.state ?? "gone",
      alerts: held.filter((a) => a.suppressedBy === k.key),
    });
  }
  return out;
}

/** Ends campaign holds: the alerts are no longer suppressed; one history event each. */
export async function releaseHeldAlerts(db: Db, input: { alertIds: string[]; at: Date; note: string }): Promise<void> {
  if (!input.alertIds.length) return;
  await db.$transaction(async (tx) => {
    const rows = await tx.alert.findMany({ where: { id: { in: input.alertIds } }, select: { id: true, ruleId: true, value: true, summary: true } });
    await tx.alert.updateMany({ where: { id: { in: input.alertIds } }, data: { suppressedBy: null, suppressedReason: input.note } });
    await tx.alertEvent.createMany({
      data: rows.map((r) => ({ alertId: r.id, ruleId: r.ruleId, type: "released", at: input.at, value: r.value, summary: r.summary, note: input.note })),
    });
  });
}
