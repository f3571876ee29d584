// npm run bench:demo [-- --meters 20000]
// Times the demo's seeding on fresh embedded stores (PGlite + chDB in a temp dir): the part of
// `npm run demo`'s start-up that grows with the fleet and the history. Prints each phase, then
// the history's fault rates (worst quiet day per code, as a share of meters) and each incident's lift.
import { createIngestSink } from "@/lib/clickhouse/queries/ingest";
import { openTestStores } from "@/lib/testing/stores";
import { demoIncidents, seedDemoFleet } from "@/lib/demo/fleet";
import { getDailyCodeMeters } from "@/lib/clickhouse/queries/fleet";
import { CODE_LIST } from "@/lib/audit/codes";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

async function main() {
  const meters = Number(arg("meters", "20000"));
  const t0 = performance.now();
  const s = await openTestStores();
  const sink = createIngestSink({ chdbPath: `${s.dir}/ch`, database: s.ch.database });
  const opened = performance.now() - t0;
  try {
    const r = await seedDemoFleet({ db: s.db, ch: s.ch, sink, meters, now: Date.now(), log: (m) => console.log(m) });
    const ms = Object.fromEntries(Object.entries(r.ms).map(([k, v]) => [k, Math.round(v)]));
    console.log(`[bench:demo] meters=${meters} lines=${r.lines} accepted=${r.accepted} refused=${r.refused} stores=${Math.round(opened)} ms ${JSON.stringify(ms)}`);
    console.log(`[bench:demo] seed total ${(r.ms.total / 1000).toFixed(1)} s`);
    const now = r.fleet!.now;
    const DAY = 86_400_000;
    const faults = CODE_LIST.filter((c) => c !== "HEARTBEAT" && c !== "STEP_OK");
    const quiet = await getDailyCodeMeters({ since: Math.ceil((now - 8 * DAY) / DAY) * DAY, until: Math.floor((now - DAY) / DAY) * DAY, codes: faults }, s.ch);
    const worst = new Map<string, number>();
    for (const row of quiet) worst.set(row.code, Math.max(worst.get(row.code) ?? 0, row.meters / meters));
    console.log(
      `[bench:demo] quiet days, worst daily share of meters per code: ${[...worst]
        .sort((a, b) => b[1] - a[1])
        .map(([c, v]) => `${c} ${(v * 100).toFixed(2)} %`)
        .join(", ")}`,
    );
    const inc = demoIncidents(r.fleet!, now);
    const sum = async (code: string, since: number, until: number, gw?: string) =>
      (await getDailyCodeMeters({ since, until, codes: [code], gw }, s.ch)).reduce((a, x) => a + x.meters, 0);
    for (const [code, where, gw] of [
      ["E105", inc.gateway, inc.gateway],
      ["IPC_ERROR", inc.model, undefined],
      ["LAST_GASP", inc.zone, undefined],
    ] as const) {
      const last = await sum(code, now - DAY, now);
      const base = (await sum(code, now - 8 * DAY, now - DAY)) / 7;
      const lastThere = gw ? await sum(code, now - DAY, now, gw) : null;
      console.log(
        `[bench:demo] incident ${code} (${where}): ${last} meters in the last day vs ${base.toFixed(1)} a quiet day = ${(last / Math.max(base, 1)).toFixed(1)}x${lastThere !== null ? `; ${lastThere} of them behind ${gw}` : ""}`,
      );
    }
  } finally {
    await sink.close();
    await s.close();
  }
}

void main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
