// npm run bench:alerts [-- --rows 100000000 --rounds 3 --trials 10 --dir data/bench/faults-<rows>]
// Issue #25's targets: 200 rules evaluated each minute over a large audit_log, one evaluation
// round <= 5 s on 2 cores; a line's arrival -> its alert's webhook <= 30 s p95 with a 15 s interval.
//
// Data: the fault bench's generated audit_log (npm run bench:faults -- --rows N --generate-only;
// 1 M meters, 4 000 gateways, N lines over the 30 days to 2026-11-25). The evaluator's clock is
// shifted so that the dataset's end is "now": rules read its busiest, most recent windows.
// Rules: 200 of every kind (fault signatures per gateway/zone/model/firmware pair, log queries,
// anomalies, LAST_GASP, certificates, silent meters, campaign events), in PGlite.
// 1. Rounds: all 200 rules due at once (the worst minute), --rounds times: time per round.
// 2. Latency: the 200 rules keep running each minute; a 15 s E042 rule watches for a tamper
//    wave; --trials times, 10 E042 lines on a fresh gateway are inserted at a random moment
//    and the time to the webhook (a local receiver) is measured. Prints p50/p95/max.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createClickHouse } from "@/lib/clickhouse/client";
import { runClickHouseMigrations } from "@/lib/clickhouse/migrate";
import { toAuditLogRow } from "@/lib/clickhouse/audit-rows";
import { closeDb, getDb, runDbMigrations } from "@/lib/db";
import { createAlertEvaluator } from "@/lib/alerts/evaluator";
import { createNotifier } from "@/lib/alerts/notifier";
import type { AlertMessage } from "@/lib/alerts/messages";
import { auditRecord } from "@/lib/testing/factories";
import { startWebhookReceiver } from "@/lib/testing/receivers";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}
const ROWS = Number(arg("rows", "100000000"));
const ROUNDS = Number(arg("rounds", "3"));
const TRIALS = Number(arg("trials", "10"));
const DIR = path.resolve(arg("dir", `data/bench/faults-${ROWS}`));
const TO = Date.UTC(2026, 10, 25, 0, 0, 0);
const ROUND_TARGET_MS = 5_000;
const LATENCY_TARGET_MS = 30_000;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]!;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function ruleSet(channelId: string): Array<{ name: string; kind: string; params: object; intervalSeconds: number }> {
  const rules: Array<{ name: string; kind: string; params: object; intervalSeconds: number }> = [];
  const sigs = [
    "E105",
    "LOW_SNR",
    "HES_TIMEOUT",
    "LAST_GASP",
    "BATTERY_LOW",
    "HOTSPOT",
    "TLS_HANDSHAKE",
    "IPC_ERROR",
    "E001",
    "SUPERCAP_FAIL",
    "FOTA_FAILED",
    "CERT_EXPIRED",
    "FW_HASH_MISMATCH",
    "E042",
  ];
  const groups = ["gateway", "climate_zone", "meter_model", "fw_pair", "fleet"];
  for (let i = 0; rules.length < 120; i++) {
    const sig = sigs[i % sigs.length]!;
    const groupBy = groups[Math.floor(i / sigs.length) % groups.length]!;
    rules.push({
      name: `${sig} per ${groupBy} #${i}`,
      kind: "fault_signature",
      params: {
        signatureId: sig,
        groupBy,
        measure: i % 3 ? "meters" : "rate",
        op: "gt",
        threshold: i % 3 ? 20 : 0.05,
        windowMinutes: [15, 60, 240][i % 3],
        minLift: i % 2 ? 3 : null,
      },
      intervalSeconds: 60,
    });
  }
  const queries = ["sev:critical", "code:E105 AND rssi:<-95", "code:(E001 OR E042)", "snr:<3", "temp_c:>60", "led:red_blinking", "code:HES_TIMEOUT", "sev:error AND NOT code:E105"];
  for (let i = 0; i < 40; i++)
    rules.push({
      name: `log query #${i}`,
      kind: "log_query",
      params: { query: queries[i % queries.length], groupBy: ["gw", "code", "fleet", "gw"][i % 4], op: "gt", threshold: 50, windowMinutes: [15, 60][i % 2] },
      intervalSeconds: 60,
    });
  for (let i = 0; i < 15; i++)
    rules.push({ name: `LAST_GASP storm #${i}`, kind: "last_gasp", params: { groupBy: i % 3 ? "gateway" : "fleet", perMinute: 5 + i, windowMinutes: 5 }, intervalSeconds: 60 });
  for (let i = 0; i < 5; i++)
    rules.push({ name: `anomaly #${i}`, kind: "anomaly", params: { measures: [], dimension: "any", minSigma: 4 + i, minMeters: 10, windowMinutes: 1440 }, intervalSeconds: 60 });
  for (let i = 0; i < 10; i++)
    rules.push({ name: `certificates #${i}`, kind: "cert_expiry", params: { groupBy: "gateway", withinDays: [7, 30][i % 2], minMeters: 5 + i }, intervalSeconds: 60 });
  for (let i = 0; i < 5; i++)
    rules.push({ name: `silent #${i}`, kind: "stale_meters", params: { groupBy: "gateway", silentMinutes: 60 * (i + 1), minMeters: 50 }, intervalSeconds: 60 });
  for (let i = 0; i < 5; i++)
    rules.push({ name: `campaign #${i}`, kind: "campaign_event", params: { events: ["paused", "aborted", "approval_waiting"], approvalWaitMinutes: 60 }, intervalSeconds: 60 });
  return rules.map((r) => ({ ...r, channelIds: [channelId] }));
}

async function main() {
  if (!fs.existsSync(path.join(DIR, ".rows"))) {
    console.error(`no generated dataset in ${DIR}: run npm run bench:faults -- --rows ${ROWS} --generate-only first`);
    process.exit(1);
  }
  const ch = await createClickHouse({ path: path.join(DIR, "ch"), database: "ami", queryTimeoutMs: 600_000 });
  await runClickHouseMigrations(ch);
  const [{ n }] = await ch.queryRows<{ n: string }>({ query: "SELECT count() AS n FROM audit_log", tag: "bench.count" });
  console.log(`audit_log: ${Number(n).toLocaleString()} lines; ${os.cpus().length} cores`);

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ami-bench-alerts-"));
  process.env.DATA_DIR = tmp;
  delete process.env.DATABASE_URL;
  (globalThis as { __amiEnv?: unknown }).__amiEnv = undefined;
  const db = getDb();
  await runDbMigrations(db);
  const hook = await startWebhookReceiver();
  const channel = await db.notificationChannel.create({ data: { name: "bench", kind: "webhook", config: { url: hook.url, format: "json" }, ratePerMinute: 600 } });
  const rules = ruleSet(channel.id);
  const kinds = new Map<string, number>();
  for (const r of rules) kinds.set(r.kind, (kinds.get(r.kind) ?? 0) + 1);
  console.log(`${rules.length} rules: ${[...kinds].map(([k, c]) => `${c} ${k}`).join(", ")}`);

  // 1. Rounds: the evaluator's clock walks minute by minute from the dataset's end.
  const start = TO - (ROUNDS + 1) * 60_000;
  await db.alertRule.createMany({ data: rules.map((r) => ({ ...r, nextEvalAt: new Date(start) })) });
  let simNow = start;
  const evaluator = createAlertEvaluator({ db, ch, now: () => new Date(simNow), baseUrl: "http://bench" });
  const times: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now();
    const r = await evaluator.tick();
    const ms = performance.now() - t0;
    times.push(ms);
    console.log(
      `round ${i + 1}: ${r.rules} rules in ${(ms / 1000).toFixed(2)} s (fired ${r.fired}, resolved ${r.resolved}, errors ${r.errors.length}${r.errors.length ? `: ${r.errors[0]!.error}` : ""})`,
    );
    simNow += 60_000;
  }
  const slow = await db.alertRule.findMany({ orderBy: { lastEvalMs: "desc" }, take: 5, select: { name: true, lastEvalMs: true } });
  console.log(`slowest rules in the last round: ${slow.map((s) => `${s.name} ${s.lastEvalMs} ms`).join("; ")}`);
  console.log(
    `ROUND p50 ${(pct(times, 0.5) / 1000).toFixed(2)} s, max ${(Math.max(...times) / 1000).toFixed(2)} s (target <= ${ROUND_TARGET_MS / 1000} s): ${Math.max(...times) <= ROUND_TARGET_MS ? "PASS" : "FAIL"}`,
  );

  // 2. Latency, in real time: the clock is now shifted so that the dataset's end is "now".
  const shift = Date.now() - TO;
  const now = () => new Date(Date.now() - shift);
  await db.alertRule.updateMany({ data: { nextEvalAt: now() } });
  const e042 = await db.alertRule.create({
    data: {
      name: "Tamper wave per gateway",
      kind: "fault_signature",
      params: { signatureId: "E042", groupBy: "gateway", measure: "meters", op: "gt", threshold: 5, windowMinutes: 15, minLift: null },
      intervalSeconds: 15,
      channelIds: [channel.id],
      nextEvalAt: now(),
    },
  });
  let isStopping = false;
  const loops = [
    (async () => {
      const ev = createAlertEvaluator({ db, ch, now, baseUrl: "http://bench" });
      while (!isStopping) {
        await ev.tick().catch((err: unknown) => console.error("evaluator", err));
        await sleep(1000);
      }
    })(),
    (async () => {
      const nt = createNotifier({ db, now });
      while (!isStopping) {
        const r = await nt.tick().catch(() => null);
        await sleep(r && r.sent > 0 ? 0 : 1000);
      }
    })(),
  ];
  const latencies: number[] = [];
  const gwMeters = await ch.queryRows<{ gw: string; meters: string[] }>({
    query: "SELECT toString(gw) AS gw, groupArray(10)(meter) AS meters FROM fleet_meters FINAL WHERE gw >= 'GW-3900' GROUP BY gw ORDER BY gw LIMIT {n:UInt32}",
    params: { n: TRIALS },
    tag: "bench.gateways",
  });
  for (let i = 0; i < gwMeters.length; i++) {
    await sleep(3000 + Math.random() * 15_000);
    const { gw, meters } = gwMeters[i]!;
    const arrival = Date.now();
    const at = arrival - shift;
    const rows = meters.map((m, k) =>
      toAuditLogRow(auditRecord({ ts: at - k, meter: m, gw, code: "E042", sev: "critical", source_app: "bench" }), { source: "bench-latency", position: i * 100 + k }),
    );
    await ch.insertRows({ table: "audit_log", values: rows as unknown as Record<string, unknown>[] });
    const deadline = Date.now() + 120_000;
    let got: number | null = null;
    while (Date.now() < deadline && got === null) {
      const hit = hook.requests.find((r) => {
        const m = JSON.parse(r.body) as AlertMessage;
        return m.kind === "firing" && m.alerts.some((a) => a.rule.id === e042.id && a.labels.gateway === gw);
      });
      if (hit) got = hit.at;
      else await sleep(100);
    }
    const ms = got === null ? Infinity : got - arrival;
    latencies.push(ms);
    console.log(`trial ${i + 1}: ${gw} line arrival -> webhook ${(ms / 1000).toFixed(1)} s`);
  }
  isStopping = true;
  await Promise.all(loops);
  console.log(
    `LATENCY p50 ${(pct(latencies, 0.5) / 1000).toFixed(1)} s, p95 ${(pct(latencies, 0.95) / 1000).toFixed(1)} s, max ${(Math.max(...latencies) / 1000).toFixed(1)} s over ${latencies.length} trials (target p95 <= ${LATENCY_TARGET_MS / 1000} s): ${pct(latencies, 0.95) <= LATENCY_TARGET_MS ? "PASS" : "FAIL"}`,
  );
  // The inserted lines stay in the cached dataset: few, and on gateways no other bench reads.
  await hook.close();
  await closeDb(db);
  await ch.close();
  fs.rmSync(tmp, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
