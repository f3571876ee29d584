// What /api/health reports: engines (kind, version, reachable), migrations,
// uptime and connected sockets. No secrets, no URLs with credentials; and
// versions, migration names and engine errors only to a signed-in operator or
// admin (they tell an attacker which known bugs to try).
import { dbKind, getDbVersion } from "@/lib/db";
import { listAppliedDbMigrations } from "@/lib/db/migrate";
import { getClickHouseInfo } from "@/lib/clickhouse/client";
import { listAppliedClickHouseMigrations } from "@/lib/clickhouse/migrate";
import { connectedSocketCount } from "@/lib/realtime/socket-server";
import { getDegradedSources } from "@/ingest/status";
import { getDegradedAlertLoops } from "@/lib/alerts/status";
import { getDegradedLoops } from "./loop-status";

async function settle<T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: string }> {
  try {
    return { ok: true, value: await p };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message.split("\n")[0]!.slice(0, 200) : "unreachable" };
  }
}

export async function getHealth() {
  const [dbVersion, dbMigrations, ch, chMigrations] = await Promise.all([
    settle(getDbVersion()),
    settle(listAppliedDbMigrations()),
    settle(getClickHouseInfo()),
    settle(listAppliedClickHouseMigrations()),
  ]);
  const relational = {
    kind: dbKind(),
    version: dbVersion.ok ? dbVersion.value : null,
    reachable: dbVersion.ok,
    migrationsApplied: dbMigrations.ok ? dbMigrations.value : [],
    error: dbVersion.ok ? undefined : dbVersion.error,
  };
  const analytics = {
    kind: ch.ok ? ch.value.kind : "unknown",
    version: ch.ok ? ch.value.version : null,
    reachable: ch.ok && ch.value.reachable,
    migrationsApplied: chMigrations.ok ? chMigrations.value : [],
    error: ch.ok ? undefined : ch.error,
  };
  const healthy = relational.reachable && analytics.reachable;
  // Ingest sources failing right now (restarting with backoff): the server is up but not all data flows.
  const degradedSources = getDegradedSources();
  // The alert evaluator or notifier failing (restarting with backoff): alerts may be late or unsent.
  const degradedAlertLoops = getDegradedAlertLoops();
  // The campaign dispatcher's tick or the maintenance plan runner failing (retried): commands or work orders are late.
  const degradedCampaignLoops = getDegradedLoops("campaigns");
  const degradedMaintenanceLoops = getDegradedLoops("maintenance");
  const degraded = degradedSources.length + degradedAlertLoops.length + degradedCampaignLoops.length + degradedMaintenanceLoops.length;
  return {
    status: healthy && degraded === 0 ? "ok" : "degraded",
    ingest: { degraded: degradedSources },
    alerts: { degraded: degradedAlertLoops },
    campaigns: { degraded: degradedCampaignLoops },
    maintenance: { degraded: degradedMaintenanceLoops },
    uptimeSeconds: Math.round(process.uptime()),
    startedAt: new Date(Date.now() - process.uptime() * 1000).toISOString(),
    engines: { relational, analytics },
    sockets: connectedSocketCount(),
  };
}

export type Health = Awaited<ReturnType<typeof getHealth>>;

/** What an anonymous caller (or a role without health.details) sees. */
export function publicHealth(h: Health): { status: Health["status"] } {
  return { status: h.status };
}
