// Measures meter_state_current at fleet scale: a full read of 1 M meters, one
// gateway, and an incremental refresh of 50 000 touched meters.
// npx tsx scripts/ch-meter-state-bench.ts [meters]
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createClickHouse } from "@/lib/clickhouse/client";
import { runClickHouseMigrations } from "@/lib/clickhouse/migrate";
import { refreshMeterStates } from "@/lib/clickhouse/meter-state-current";

async function time<T>(label: string, fn: () => Promise<T>, runs = 5): Promise<T> {
  let out!: T;
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    out = await fn();
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  console.log(`${label.padEnd(48)} p50 ${ms[Math.floor(runs / 2)]!.toFixed(0)} ms  max ${ms[runs - 1]!.toFixed(0)} ms`);
  return out;
}

async function main() {
  const meters = Number(process.argv[2] ?? 1_000_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "msc-bench-"));
  const ch = await createClickHouse({ path: path.join(dir, "ch"), database: "ami", queryTimeoutMs: 120_000 });
  await runClickHouseMigrations(ch);
  let t = performance.now();
  await ch.execCommand({
    query: `INSERT INTO audit_log (ts, meter, gw, code, sev, led, rssi, snr, id, source)
            SELECT now64(3) - toIntervalSecond(number % 86400), concat('EM-', leftPad(toString(number % {m:UInt64}), 7, '0')),
                   concat('GW-', leftPad(toString((number % {m:UInt64}) % 2000), 4, '0')),
                   if(number % 97 = 0, 'E105', 'HEARTBEAT'), if(number % 97 = 0, 'error', 'debug'),
                   if(number % 97 = 0, 'amber_steady', 'green_steady'), -60 - (number % 40), 10 + (number % 20), number, 'bench'
            FROM numbers({n:UInt64})`,
    params: { m: meters, n: meters * 2 },
  });
  console.log(`generated ${meters * 2} audit rows for ${meters} meters in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  t = performance.now();
  await ch.execCommand({ query: "INSERT INTO meter_state_current SELECT meter, gw, last_seen, led, fault_code, fault_sev, last_fault_at, rssi, snr, lqi, temp_c, battery_v, fw_metrology, fw_comms, cert_not_after, now64(6) FROM (SELECT * FROM meter_state_current LIMIT 0)" });
  const { rebuildMeterStates } = await import("@/lib/clickhouse/meter-state-current");
  await rebuildMeterStates(ch);
  console.log(`full rebuild of meter_state_current: ${((performance.now() - t) / 1000).toFixed(1)} s`);
  await time("full fleet read (FINAL, 6 columns)", () =>
    ch.queryRows({ query: "SELECT count(), countIf(led = 'amber_steady'), avg(rssi) FROM (SELECT meter, led, rssi, snr, fault_code, last_seen FROM meter_state_current FINAL)", tag: "b" }),
  );
  await time("one gateway (FINAL)", () =>
    ch.queryRows({ query: "SELECT meter, led, fault_code FROM meter_state_current FINAL WHERE gw = {gw:String}", params: { gw: "GW-0042" }, tag: "b" }),
  );
  const touched = Array.from({ length: 50_000 }, (_, i) => `EM-${String((i * 17) % meters).padStart(7, "0")}`);
  await time("refresh 50 000 touched meters", () => refreshMeterStates(touched, ch), 3);
  await ch.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
