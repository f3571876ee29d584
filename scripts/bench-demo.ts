// npm run bench:demo [-- --meters 20000]
// Times the demo's seeding on fresh embedded stores (PGlite + chDB in a temp dir): the part of
// `npm run demo`'s start-up that grows with the fleet and the history. Prints each phase.
import { createIngestSink } from "@/lib/clickhouse/queries/ingest";
import { openTestStores } from "@/lib/testing/stores";
import { seedDemoFleet } from "@/lib/demo/fleet";

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
  } finally {
    await sink.close();
    await s.close();
  }
}

void main().then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
