// Test and benchmark support (not imported by app code): open a throw-away
// relational store (PGlite dir or a PostgreSQL schema of its own) plus chDB,
// and write a generated fleet into both the way the demo/import does.
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import type { AuditRecord } from "@/lib/audit/record";
import { toAuditLogRow } from "@/lib/clickhouse/audit-rows";
import { createClickHouse, setClickHouse, type ClickHouse } from "@/lib/clickhouse/client";
import { flushMeterStates, rebuildMeterStates } from "@/lib/clickhouse/meter-state-current";
import { runClickHouseMigrations } from "@/lib/clickhouse/migrate";
import { writeFleetDimensions, type FleetMeterRow } from "@/lib/clickhouse/queries/campaigns";
import { closeDb, getDb, runDbMigrations, type PrismaClient } from "@/lib/db";
import type { SimulatorHes } from "@/lib/hes/simulator-hes";
import { fleetGatewayRows, fleetMeterRows } from "@/lib/fleet/generate";
import { getMeter, type Fleet } from "@/lib/simulator/fleet";
import { auditRecord } from "@/lib/testing/factories";
import type { CampaignActor } from "@/lib/campaigns/service";

/** An audit line with defaults (tests plant faults such as a LAST_GASP surge with it). */
export function auditLine(partial: Partial<AuditRecord>, position: number) {
  return toAuditLogRow(auditRecord({ ts: 0, meter: "", source_app: "test", ...partial }), { source: "test-lines", position });
}

export const DEFAULT_TEST_PG_URL = "postgresql://postgres@127.0.0.1:5432/test";

export interface TestEnv {
  kind: "pglite" | "postgresql";
  dir: string;
  /** DATABASE_URL with ?schema= for child processes (postgresql only). */
  databaseUrl: string | null;
  db: PrismaClient;
  ch: ClickHouse;
  cleanup(): Promise<void>;
}

/**
 * Point lib/env at a fresh store BEFORE anything calls getDb(): the process-wide
 * client is what lib/campaigns and lib/activity use. One per test file (process).
 */
export async function openTestEnv(kind: "pglite" | "postgresql", opts: { pgUrl?: string; withClickHouse?: boolean } = {}): Promise<TestEnv> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ami-campaigns-"));
  let databaseUrl: string | null = null;
  let schema: string | null = null;
  if (kind === "postgresql") {
    schema = `ami_cmp_${process.pid}_${Date.now().toString(36)}`;
    const url = new URL(opts.pgUrl ?? DEFAULT_TEST_PG_URL);
    url.searchParams.set("schema", schema);
    databaseUrl = url.toString();
    process.env.DATABASE_URL = databaseUrl;
  } else {
    delete process.env.DATABASE_URL;
  }
  process.env.DATA_DIR = dir;
  (globalThis as { __amiEnv?: unknown }).__amiEnv = undefined;
  const db = getDb();
  await runDbMigrations(db);
  const ch = await createClickHouse({ path: path.join(dir, "ch"), database: "ami", queryTimeoutMs: 60_000 });
  await runClickHouseMigrations(ch);
  setClickHouse(ch);
  return {
    kind,
    dir,
    databaseUrl,
    db,
    ch,
    async cleanup() {
      if (schema) await db.$executeRawUnsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {});
      await closeDb(db).catch(() => {});
      // The dispatcher marks meters for the debounced meter_state_current refresh: run it before chDB closes.
      await flushMeterStates().catch(() => {});
      await ch.close().catch(() => {});
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function testDbKind(): "pglite" | "postgresql" {
  return process.env.AMI_TEST_DB === "postgresql" ? "postgresql" : "pglite";
}

/** Users of every role (the actor objects the service takes). */
export async function createTestUsers(db: PrismaClient): Promise<Record<"viewer" | "technician" | "operator" | "operator2" | "admin", CampaignActor>> {
  const out: Record<string, CampaignActor> = {};
  for (const [key, role] of [
    ["viewer", "viewer"],
    ["technician", "technician"],
    ["operator", "operator"],
    ["operator2", "operator"],
    ["admin", "admin"],
  ] as const) {
    const u = await db.user.create({ data: { email: `${key}-${Math.random().toString(36).slice(2, 8)}@test.ami`, role } });
    out[key] = { id: u.id, email: u.email, role };
  }
  return out as Record<"viewer" | "technician" | "operator" | "operator2" | "admin", CampaignActor>;
}

/**
 * Write a generated fleet: fleet_meters/fleet_gateways in ClickHouse, the
 * firmware catalogue (and optionally meters) in the relational store, and one
 * HEARTBEAT per meter with its SNR so meter_state_current knows the link.
 */
export async function writeFleet(fleet: Fleet, env: Pick<TestEnv, "db" | "ch">, opts: { heartbeatAt: number; prismaMeters?: number } = { heartbeatAt: Date.now() }) {
  const meters: FleetMeterRow[] = [];
  const heartbeats = [];
  for (let i = 0; i < fleet.meters.count; i++) {
    const m = getMeter(fleet, i);
    meters.push({
      meter: m.id,
      kind: m.kind,
      model: m.model,
      gw: m.gatewayId,
      zone: m.zone,
      timezone: m.timezone,
      lat: m.lat,
      lon: m.lon,
      installed_at: m.installedAt,
      fw_metrology: m.fwMetrology,
      fw_comms: m.fwComms,
      hes_version: m.hesVersion,
      cert_not_after: m.certNotAfter,
    });
    heartbeats.push(
      toAuditLogRow(
        auditRecord({
          source_app: "test",
          ts: opts.heartbeatAt - 3_600_000,
          meter: m.id,
          gw: m.gatewayId,
          code: "HEARTBEAT",
          sev: "debug",
          snr: m.snr,
          rssi: m.rssi,
          battery_v: m.batteryV,
          fw_metrology: m.fwMetrology,
          fw_comms: m.fwComms,
        }),
        { source: "test-fleet", position: i },
      ),
    );
  }
  await writeFleetDimensions(
    {
      meters,
      gateways: fleet.gateways.map((g) => ({
        gw: g.id,
        name: g.name,
        lat: g.lat,
        lon: g.lon,
        backhaul: g.backhaul,
        max_sessions: g.maxConcurrentSessions,
        zone: g.zone,
        timezone: g.timezone,
      })),
    },
    env.ch,
  );
  for (let i = 0; i < heartbeats.length; i += 100_000) {
    await env.ch.insertRows({ table: "audit_log", values: heartbeats.slice(i, i + 100_000) as unknown as Record<string, unknown>[] });
  }
  await rebuildMeterStates(env.ch);
  await env.db.firmwareImage.createMany({
    data: fleet.firmwareImages.map((f) => ({ component: f.component, version: f.version, sha256: f.sha256, signed: f.signed, releasedAt: new Date(fleet.now) })),
    skipDuplicates: true,
  });
  await env.db.firmwareCompatibility.createMany({
    data: fleet.compatibility.map((c) => ({ metrologyVersion: c.metrologyVersion, commsVersion: c.commsVersion, compatible: c.compatible })),
    skipDuplicates: true,
  });
  const n = Math.min(opts.prismaMeters ?? 0, fleet.meters.count);
  if (n > 0) {
    await env.db.climateZone.createMany({ data: fleet.zones.map((z) => ({ id: z.id, name: z.name, thermalStressFactor: z.thermalStressFactor })), skipDuplicates: true });
    await env.db.gateway.createMany({ data: fleetGatewayRows(fleet), skipDuplicates: true });
    // Without lastVerifiedAt, as the campaign tests' fleets have always been seeded.
    const rows = fleetMeterRows(fleet, 0, n).map(({ lastVerifiedAt: _, ...m }) => ({ ...m, metrologyConstants: m.metrologyConstants as object }));
    await env.db.meter.createMany({ data: rows, skipDuplicates: true });
  }
  return meters;
}

/**
 * The simulator behind the HTTP head-end contract (lib/hes/http-hes.ts), so a
 * dispatcher in another process talks to it and its state (applied commands per
 * key) outlives that process being killed.
 */
export function serveSimulatorHes(hes: SimulatorHes): Promise<{ url: string; close(): Promise<void>; requests: () => number }> {
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests++;
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    let raw = "";
    req.on("data", (c) => (raw += c));
    req.on("end", () => {
      void (async () => {
        try {
          if (req.method === "POST" && req.url === "/commands") {
            const body = JSON.parse(raw);
            const key = String(req.headers["idempotency-key"] ?? "");
            send(200, await hes.sendCommand({ meterId: body.meterId, step: body.step, params: body.params, job: body.job, timeoutMs: body.timeoutMs, idempotencyKey: key }));
          } else if (req.method === "GET" && req.url?.startsWith("/commands/")) {
            const outcome = await hes.getOutcome(decodeURIComponent(req.url.slice("/commands/".length)));
            send(outcome ? 200 : 404, outcome ?? {});
          } else send(404, {});
        } catch (err) {
          const code = (err as { code?: string }).code;
          send(code === "conflict" ? 409 : code === "not_found" ? 404 : code === "invalid" ? 400 : 500, { error: String(err) });
        }
      })();
    });
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      resolve({
        url: `http://127.0.0.1:${port}`,
        requests: () => requests,
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}
