// Figures behind the audit_log schema (lib/clickhouse/migrations/001_audit_log.sql):
// candidate ORDER BY keys, the (meter, ts) projection, meter_state reads at 1 M
// meters, and insert formats through chDB.
//   npx tsx scripts/ch-experiment.ts [rows=3000000] [meters=1000000]
// Runs on a throw-away directory under the OS temp dir; prints a table per part.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Session } from "chdb";
import { createChdbConnection } from "chdb/connection";
import { CODES, CODE_LIST } from "@/lib/audit/codes";
import { createClickHouse } from "@/lib/clickhouse/client";
import { runClickHouseMigrations } from "@/lib/clickhouse/migrate";
import { getMeterStates } from "@/lib/clickhouse/get-meter-states";

const ROWS = Number(process.argv[2] ?? 3_000_000);
const METERS = Number(process.argv[3] ?? 1_000_000);
const START = "2026-10-26 00:00:00";
const DAYS = 30;

// Weighted code mix: mostly heartbeats and step results, a long tail of faults.
const CODE_WEIGHTS: Record<string, number> = {
  HEARTBEAT: 700, STEP_OK: 100, E105: 50, LOW_SNR: 30, BATTERY_LOW: 25, LAST_GASP: 20, HES_TIMEOUT: 15,
  TLS_HANDSHAKE: 10, IPC_ERROR: 10, HOTSPOT: 8, SUPERCAP_FAIL: 8, CERT_EXPIRED: 6, FOTA_FAILED: 5,
  FW_HASH_MISMATCH: 5, E001: 4, E042: 4,
};
const MSG_BY_CODE: Record<string, string> = {
  HEARTBEAT: "periodic health check within range", STEP_OK: "step finished",
  E105: "RF timeout after 3 retries spectrum interference suspected", HOTSPOT: "terminal block hot possible arcing",
  E001: "metrology checksum mismatch against reference", E042: "casing micro switch activated",
};

function generatorSql(table: string, rows: number, meters: number, offset = 0): string {
  let acc = 0;
  const total = Object.values(CODE_WEIGHTS).reduce((a, b) => a + b, 0);
  const branches = CODE_LIST.map((c) => {
    acc += CODE_WEIGHTS[c] ?? 0;
    return `r < ${acc} , '${c}'`;
  });
  const sevBranches = CODE_LIST.map((c) => `code = '${c}', '${CODES[c].sev}'`).join(", ");
  const msgBranches = Object.entries(MSG_BY_CODE).map(([c, m]) => `code = '${c}', '${m}'`).join(", ");
  return `INSERT INTO ${table}
    SELECT ts, recv_ts, meter, gw, code, sev, led, step, job, result, rssi, lqi, snr, temp_c, battery_v,
           accuracy_err_pct, fw_metrology, fw_comms, fw_sha256, cert_not_after, msg, attrs, source_host,
           source_app, ingested_at, id, source
    FROM (
      SELECT
        toDateTime64('${START}', 3, 'UTC') + toIntervalMillisecond(intDiv((number + ${offset}) * ${DAYS * 86_400_000}, ${rows}) + (cityHash64(number, 7) % 600000)) AS ts,
        CAST(NULL AS Nullable(DateTime64(3, 'UTC'))) AS recv_ts,
        concat('EM-', leftPad(toString(cityHash64(number, 1) % ${meters}), 7, '0')) AS meter,
        concat('GW-', leftPad(toString(cityHash64(meter) % 2000), 4, '0')) AS gw,
        cityHash64(number, 2) % ${total} AS r,
        multiIf(${branches.join(", ")}, 'HEARTBEAT') AS code,
        multiIf(${sevBranches}, 'info') AS sev,
        multiIf(sev = 'critical', 'red_blinking', sev = 'error', 'amber_steady', code = 'HEARTBEAT', 'green_steady', '') AS led,
        '' AS step, if(number % 50 = 0, concat('cmp_', toString(number % 97)), '') AS job, '' AS result,
        CAST(if(number % 3 = 0, -60 - (number % 60), NULL) AS Nullable(Float32)) AS rssi,
        CAST(if(number % 3 = 0, number % 255, NULL) AS Nullable(UInt8)) AS lqi,
        CAST(if(number % 3 = 0, 5 + (number % 20), NULL) AS Nullable(Float32)) AS snr,
        CAST(NULL AS Nullable(Float32)) AS temp_c, CAST(NULL AS Nullable(Float32)) AS battery_v,
        CAST(NULL AS Nullable(Float32)) AS accuracy_err_pct,
        '3.2.1' AS fw_metrology, '5.0.4' AS fw_comms, '' AS fw_sha256,
        CAST(NULL AS Nullable(DateTime64(3, 'UTC'))) AS cert_not_after,
        concat(multiIf(${msgBranches}, 'event'), ' seq ', toString(number % 1000)) AS msg,
        map() AS attrs, 'hes-01' AS source_host, 'maintd' AS source_app,
        ts AS ingested_at, cityHash64('exp', number + ${offset}) AS id, 'exp' AS source
      FROM numbers(${rows})
    )`;
}

const CANDIDATES: Record<string, string> = {
  "(ts)": "ts",
  "(code, ts)": "code, ts",
  "(toStartOfHour(ts), code, ts)": "toStartOfHour(ts), code, ts",
  "(toDate(ts), code, gw, ts)": "toDate(ts), code, gw, ts",
  "(meter, ts)": "meter, ts",
};

function auditDdl(table: string, orderBy: string): string {
  const ddl = fs.readFileSync(path.join(process.cwd(), "lib/clickhouse/migrations/001_audit_log.sql"), "utf8");
  const body = ddl.slice(ddl.indexOf("CREATE TABLE IF NOT EXISTS audit_log"), ddl.indexOf("CREATE TABLE IF NOT EXISTS ingest_rejects"));
  return body
    .replace("CREATE TABLE IF NOT EXISTS audit_log", `CREATE TABLE ${table}`)
    .replace(/,\s*--[^\n]*\n\s*PROJECTION p_meter \(SELECT \* ORDER BY meter, ts\)/, "")
    .replace(/ORDER BY \([^\n]*\)\n/, `ORDER BY (${orderBy})\n`)
    .replace(/;\s*$/, "");
}

interface Probe { name: string; sql: string; params: (i: number) => Record<string, unknown> }

const day = (i: number) => `2026-11-${String(10 + i).padStart(2, "0")} 00:00:00.000`;
const PROBES: Probe[] = [
  {
    name: "1 day + code, newest 100",
    sql: `SELECT ts, id, meter, msg FROM {t:Identifier} WHERE ts >= {from:DateTime64(3, 'UTC')} AND ts < {from:DateTime64(3, 'UTC')} + INTERVAL 1 DAY
          AND code = {code:String} ORDER BY ts DESC, id DESC LIMIT 100`,
    params: (i) => ({ from: day(i), code: ["E105", "HOTSPOT", "E001", "LOW_SNR", "FOTA_FAILED"][i] }),
  },
  {
    name: "1 day count by code",
    sql: `SELECT code, count() FROM {t:Identifier} WHERE ts >= {from:DateTime64(3, 'UTC')} AND ts < {from:DateTime64(3, 'UTC')} + INTERVAL 1 DAY GROUP BY code`,
    params: (i) => ({ from: day(i) }),
  },
  {
    name: "1 meter, 30 days",
    sql: `SELECT ts, id, code, msg FROM {t:Identifier} WHERE meter = {meter:String}
          AND ts >= {from:DateTime64(3, 'UTC')} AND ts < {from:DateTime64(3, 'UTC')} + INTERVAL 30 DAY ORDER BY ts DESC LIMIT 500`,
    params: (i) => ({ meter: `EM-${String(1000 + i * 7919).padStart(7, "0")}`, from: "2026-10-26 00:00:00.000" }),
  },
  {
    name: "1 gateway, 1 day",
    sql: `SELECT code, count() FROM {t:Identifier} WHERE gw = {gw:String}
          AND ts >= {from:DateTime64(3, 'UTC')} AND ts < {from:DateTime64(3, 'UTC')} + INTERVAL 1 DAY GROUP BY code`,
    params: (i) => ({ gw: `GW-${String(17 + i * 211).padStart(4, "0")}`, from: day(i) }),
  },
  {
    name: "word in msg, 7 days",
    sql: `SELECT ts, meter, msg FROM {t:Identifier} WHERE hasToken(msg, {word:String})
          AND ts >= {from:DateTime64(3, 'UTC')} AND ts < {from:DateTime64(3, 'UTC')} + INTERVAL 7 DAY ORDER BY ts DESC LIMIT 100`,
    params: (i) => ({ word: ["arcing", "interference", "micro", "checksum", "arcing"][i], from: day(i) }),
  },
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(0)}k` : String(n));

async function runProbe(s: Session, table: string, probe: Probe, extra = "") {
  const ms: number[] = [];
  let rows = 0;
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const r = await s.queryBindAsync(probe.sql + extra, { t: table, ...probe.params(i) }, { format: "JSONEachRow" });
    ms.push(performance.now() - t0);
    rows = r.text().split("\n").filter(Boolean).length;
  }
  return { p50: median(ms), max: Math.max(...ms), rows };
}

async function compareOrderBy(s: Session) {
  console.log(`\n## ORDER BY candidates: ${fmt(ROWS)} rows, ${DAYS} days, 200k meters, 2000 gateways (median of 5 / max ms)`);
  s.query("CREATE DATABASE IF NOT EXISTS exp");
  s.query("USE exp");
  const names = Object.keys(CANDIDATES);
  for (const [i, name] of names.entries()) {
    const t = `exp.c${i}`;
    s.query(auditDdl(t, CANDIDATES[name]!));
    const t0 = performance.now();
    if (i === 0) await s.queryAsync(generatorSql(t, ROWS, 200_000));
    else await s.queryAsync(`INSERT INTO ${t} SELECT * FROM exp.c0`);
    await s.queryAsync(`OPTIMIZE TABLE ${t} FINAL`);
    const size = JSON.parse(s.query(`SELECT sum(bytes_on_disk) b FROM system.parts WHERE database='exp' AND table='c${i}' AND active`, "JSONEachRow")).b;
    console.log(`\n${name}: load+optimize ${((performance.now() - t0) / 1000).toFixed(1)} s, ${(size / 1e6).toFixed(0)} MB on disk`);
    for (const probe of PROBES) {
      const r = await runProbe(s, `c${i}`, probe);
      console.log(`  ${probe.name.padEnd(26)} ${r.p50.toFixed(0).padStart(5)} / ${r.max.toFixed(0).padStart(5)} ms  (${r.rows} result rows)`);
    }
  }
  const chosen = names.indexOf("(code, ts)");
  const t = `c${chosen}`;
  const meterProbe = PROBES[2]!;
  const before = await runProbe(s, t, meterProbe, " SETTINGS use_skip_indexes = 0");
  const bloom = await runProbe(s, t, meterProbe);
  await s.queryAsync(`ALTER TABLE ${t} ADD PROJECTION p_meter (SELECT * ORDER BY meter, ts)`);
  const t0 = performance.now();
  await s.queryAsync(`ALTER TABLE ${t} MATERIALIZE PROJECTION p_meter SETTINGS mutations_sync = 1`);
  const size = JSON.parse(s.query(`SELECT sum(bytes_on_disk) b FROM system.parts WHERE database='exp' AND table='c${chosen}' AND active`, "JSONEachRow")).b;
  const proj = await runProbe(s, t, meterProbe);
  console.log(`\n## meter lookup on ${names[chosen]}: no skip index ${before.p50.toFixed(0)} ms, bloom ${bloom.p50.toFixed(0)} ms, projection ${proj.p50.toFixed(0)} / ${proj.max.toFixed(0)} ms; materialize ${((performance.now() - t0) / 1000).toFixed(1)} s, table now ${(size / 1e6).toFixed(0)} MB`);
  for (const probe of PROBES) {
    if (probe === meterProbe) continue;
    const r = await runProbe(s, t, probe);
    console.log(`  with projection: ${probe.name.padEnd(26)} ${r.p50.toFixed(0).padStart(5)} ms  ${fmt(r.rows).padStart(7)} rows`);
  }
  s.query("DROP DATABASE exp SYNC");
}

async function measureInsertFormats(dir: string) {
  console.log("\n## insert formats through chDB (100k audit rows, JS serialization included)");
  const conn = createChdbConnection({ path: dir });
  await conn.chdb.queryAsync("CREATE DATABASE IF NOT EXISTS fmt");
  const ddl = auditDdl("fmt.t", "code, ts");
  await conn.chdb.queryAsync(ddl);
  const objects = Array.from({ length: 100_000 }, (_, i) => ({
    ts: 1_793_000_000_000 + i * 1000, recv_ts: null, meter: `EM-${String(i % 5000).padStart(7, "0")}`, gw: "GW-0042",
    code: "E105", sev: "error", led: "amber_steady", step: "", job: "", result: "", rssi: -97, lqi: 38, snr: 11.2,
    temp_c: null, battery_v: null, accuracy_err_pct: null, fw_metrology: "3.2.1", fw_comms: "5.0.4", fw_sha256: "",
    cert_not_after: null, msg: `RF timeout after ${i % 5} retries`, attrs: { a: "b" }, source_host: "hes-01",
    source_app: "maintd", id: String(i), source: "bench",
  }));
  const cols = Object.keys(objects[0]!);
  const tsvEscape = (v: unknown): string =>
    v === null ? "\\N" : typeof v === "object" ? `{${Object.entries(v as Record<string, string>).map(([k, x]) => `'${k}':'${x}'`).join(",")}}`
      : String(v).replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n");
  const variants: Record<string, () => { values: Buffer; format: "JSONEachRow" | "JSONCompactEachRow" | "TSV" }> = {
    JSONEachRow: () => ({ format: "JSONEachRow", values: Buffer.from(objects.map((o) => JSON.stringify(o)).join("\n")) }),
    JSONCompactEachRow: () => ({ format: "JSONCompactEachRow", values: Buffer.from(objects.map((o) => JSON.stringify(cols.map((c) => (o as Record<string, unknown>)[c]))).join("\n")) }),
    TSV: () => ({ format: "TSV", values: Buffer.from(objects.map((o) => cols.map((c) => tsvEscape((o as Record<string, unknown>)[c])).join("\t")).join("\n")) }),
  };
  for (const [name, build] of Object.entries(variants)) {
    const ms: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      const { values, format } = build();
      await conn.chdb.rawInsert({ table: "fmt.t", values, format, columns: format === "JSONEachRow" ? undefined : cols });
      ms.push(performance.now() - t0);
    }
    console.log(`  ${name.padEnd(20)} ${median(ms).toFixed(0)} ms / 100k rows`);
  }
  await conn.chdb.queryAsync("DROP DATABASE fmt SYNC");
  await conn.close();
}

async function measureMeterState(dir: string) {
  console.log(`\n## meter_state: ${fmt(METERS)} meters, 3 events each, through the materialized view`);
  const ch = await createClickHouse({ path: dir, database: "ami" });
  await runClickHouseMigrations(ch);
  const s = new Session(dir);
  let t0 = performance.now();
  for (let b = 0; b < 3; b++) {
    // Three passes over all meters (offset shifts ts): each meter gets three events.
    await s.queryAsync(generatorSql("ami.audit_log", METERS, METERS, b * METERS).replace(/cityHash64\(number, 1\) % \d+/, "number"));
  }
  console.log(`  load ${fmt(3 * METERS)} rows: ${((performance.now() - t0) / 1000).toFixed(1)} s; meter_state rows ${JSON.parse(s.query("SELECT count() c FROM ami.meter_state", "JSONEachRow")).c}`);
  const probes: [string, () => Promise<unknown[]>][] = [
    ["100 listed meters", () => getMeterStates({ meters: Array.from({ length: 100 }, (_, i) => `EM-${String(i * 9973).padStart(7, "0")}`), limit: 100 }, ch)],
    ["1 gateway", () => getMeterStates({ gw: "GW-0042", limit: 10_000 }, ch)],
    ["first 1000 meters", () => getMeterStates({ limit: 1000 }, ch)],
    ["all meters", () => getMeterStates({ limit: METERS }, ch)],
  ];
  for (const stage of ["parts as inserted", "after OPTIMIZE FINAL"]) {
    if (stage.startsWith("after")) await s.queryAsync("OPTIMIZE TABLE ami.meter_state FINAL");
    for (const [name, run] of probes) {
      const ms: number[] = [];
      let n = 0;
      try {
        for (let i = 0; i < 3; i++) {
          t0 = performance.now();
          n = (await run()).length;
          ms.push(performance.now() - t0);
        }
      } catch (err) {
        console.log(`  ${stage.padEnd(20)} ${name.padEnd(18)} failed: ${(err as Error).message}`);
        continue;
      }
      console.log(`  ${stage.padEnd(20)} ${name.padEnd(18)} ${median(ms).toFixed(0).padStart(5)} ms  (${n} rows)`);
    }
  }
  s.close();
  await ch.close();
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ch-experiment-"));
  try {
    const s = new Session(dir);
    await compareOrderBy(s);
    s.close();
    await measureInsertFormats(dir);
    await measureMeterState(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
