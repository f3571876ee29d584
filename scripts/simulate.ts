// npm run simulate -- --meters 100000 --seed 7 [--rate 2000/s] [--to file:/var/log/ami/maintenance_audit.log |
//   http://localhost:3000 --token T | mqtt://127.0.0.1:1883] [--scenario path.yaml|default|none] [--duration 10m]
// Writes the generated fleet (into the running server over HTTP when one holds data/, else directly),
// then emits audit lines at the rate. Same --seed, --now and --start: same fleet and same lines.
import { parseArgs } from "node:util";
import { env } from "@/lib/env";
import { chooseCliTarget, postToServer } from "@/lib/fleet/cli-target";
import { createFileOutput, createHttpOutput, createMqttOutput, GW_IN_LINE, METER_IN_LINE, type SimOutput } from "@/lib/fleet/sim-outputs";
import { createEventStream } from "@/lib/simulator/events";
import { generateFleet, getMeter, findMeterIndex } from "@/lib/simulator/fleet";
import { loadScenarioFile, parseDurationMs, type Scenario } from "@/lib/simulator/scenario";

const USAGE = `usage: npm run simulate -- [--meters 20000] [--seed 7] [--rate 2000/s|max] [--to file:PATH|http://HOST:PORT|mqtt://HOST:PORT]
  [--token INGEST_TOKEN] [--fleet-token FLEET_TOKEN] [--scenario FILE|default|none] [--duration 10m] [--start ISO|ms] [--now ISO|ms]
  [--max-size 256MB] [--batch 2000] [--no-fleet] [--server http://localhost:3000]`;

function parseTime(v: string | undefined, fallback: number): number {
  if (!v) return fallback;
  const n = Number(v);
  const t = Number.isFinite(n) ? n : Date.parse(v);
  if (!Number.isFinite(t)) throw new Error(`not a time: ${v}`);
  return t;
}

function parseSize(v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB)?$/i.exec(v.trim());
  if (!m) throw new Error(`not a size: ${v} (e.g. 256MB)`);
  return Number(m[1]) * { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 }[(m[2] ?? "B").toUpperCase() as "B"];
}

async function main() {
  const { values } = parseArgs({
    options: {
      meters: { type: "string", default: "20000" },
      seed: { type: "string", default: "7" },
      rate: { type: "string", default: "2000/s" },
      to: { type: "string" },
      token: { type: "string" },
      // The fleet write needs a token of scope fleet; lines sent over HTTP need one of scope ingest.
      "fleet-token": { type: "string" },
      scenario: { type: "string", default: "default" },
      duration: { type: "string" },
      start: { type: "string" },
      now: { type: "string" },
      "max-size": { type: "string", default: "256MB" },
      batch: { type: "string", default: "2000" },
      "no-fleet": { type: "boolean", default: false },
      server: { type: "string" },
      help: { type: "boolean" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const log = (m: string) => process.stderr.write(m + "\n");
  const meters = Number(values.meters);
  if (!Number.isInteger(meters) || meters < 1) throw new Error("--meters must be a positive whole number");
  const seed = /^-?\d+$/.test(values.seed!) ? Number(values.seed) : values.seed!;
  const unpaced = values.rate === "max";
  const rate = unpaced ? 1000 : Number(values.rate!.replace(/\/s$/, ""));
  if (!(rate > 0)) throw new Error("--rate must be lines per second like 2000/s, or max");
  const durationMs = values.duration ? parseDurationMs(values.duration) : Number.POSITIVE_INFINITY;
  // The fleet's reference time defaults to today 00:00 UTC: re-runs on one day write the same fleet.
  const today = new Date();
  const fleetNow = parseTime(values.now, Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate()));
  const start = parseTime(values.start, Date.now());
  const to = values.to ?? `file:${env.INGEST_FILES[0] ?? "maintenance_audit.log"}`;
  const batchSize = Math.max(1, Number(values.batch));

  let t0 = performance.now();
  const fleet = generateFleet({ meters, seed, now: fleetNow });
  log(
    `[simulate] fleet: ${meters.toLocaleString("en")} meters, ${fleet.gateways.length} gateways (seed ${String(seed)}) generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );

  if (!values["no-fleet"]) {
    const serverUrl = values.server ?? (/^https?:\/\//.test(to) ? to : undefined);
    const target = chooseCliTarget(serverUrl);
    t0 = performance.now();
    if (target.kind === "server") {
      log(`[simulate] the console server (PID ${target.pid}) holds the data directory: writing the fleet through ${target.url}/api/fleet/generate`);
      const fleetToken = values["fleet-token"] ?? values.token;
      if (!fleetToken)
        throw new Error(
          "the server holds the data directory: pass --fleet-token with a token of scope fleet (an admin creates it on the Ingest page), or --no-fleet to only emit lines",
        );
      await postToServer(`${target.url}/api/fleet/generate`, { meters, seed, now: fleetNow }, fleetToken);
    } else {
      log("[simulate] no server holds the data directory: writing the fleet directly");
      const { startEngines, stopEngines } = await import("@/lib/server/boot");
      const { getDb } = await import("@/lib/db");
      const { getClickHouse } = await import("@/lib/clickhouse/client");
      const { writeGeneratedFleet } = await import("@/lib/fleet/generate");
      await startEngines(log);
      try {
        await writeGeneratedFleet({ fleet, db: getDb(), ch: await getClickHouse(), log });
      } finally {
        await stopEngines();
      }
    }
    log(`[simulate] fleet written in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }

  let scenario: Scenario | "default" | "none";
  if (values.scenario === "none" || values.scenario === "default") scenario = values.scenario;
  else scenario = loadScenarioFile(values.scenario!);

  let output: SimOutput;
  if (to.startsWith("file:")) output = createFileOutput(to.slice(5), parseSize(values["max-size"]!));
  else if (/^https?:\/\//.test(to)) {
    if (!values.token) throw new Error("--to http needs --token with an ingest token");
    output = createHttpOutput(to, values.token, `sim-${String(seed)}-${start}`, log);
  } else if (/^(mqtt|mqtts|ws|wss|tcp):\/\//.test(to)) {
    output = await createMqttOutput(to, {
      clientId: `ami-sim-${process.pid}`,
      // Lines without gw= still go to their meter's gateway topic.
      gatewayOf: (line) => {
        const gw = GW_IN_LINE.exec(line)?.[1];
        if (gw) return gw;
        const id = METER_IN_LINE.exec(line)?.[1];
        const i = id ? findMeterIndex(fleet, id) : -1;
        return i >= 0 ? getMeter(fleet, i).gatewayId : null;
      },
    });
  } else throw new Error(`--to must be file:PATH, http(s)://HOST:PORT or mqtt://HOST:PORT (got ${to})`);

  const stream = createEventStream({ fleet, seed, start, ratePerSec: rate, scenario });
  log(
    `[simulate] emitting ${unpaced ? "as fast as possible" : `${rate.toLocaleString("en")} lines/s`} to ${output.name}${Number.isFinite(durationMs) ? ` for ${values.duration}` : " until Ctrl-C"}`,
  );

  let stopping = false;
  process.once("SIGINT", () => (stopping = true));
  process.once("SIGTERM", () => (stopping = true));
  const began = performance.now();
  let sent = 0;
  let lastSent = 0;
  let lastReport = began;
  const isTty = process.stderr.isTTY;
  const report = (final = false) => {
    const now = performance.now();
    const lps = ((sent - lastSent) * 1000) / Math.max(1, now - lastReport);
    const avg = (sent * 1000) / Math.max(1, now - began);
    const now_ = final ? "" : ` · ${Math.round(lps).toLocaleString("en")} lines/s now`;
    const text = `[simulate] ${sent.toLocaleString("en")} lines${now_} · ${Math.round(avg).toLocaleString("en")} lines/s average${final ? " (done)" : ""}`;
    process.stderr.write(isTty && !final ? `\r${text}   ` : text + "\n");
    lastSent = sent;
    lastReport = now;
  };
  const progress = setInterval(() => report(), isTty ? 1000 : 5000);

  let next = stream.next().value;
  while (!stopping) {
    const elapsed = performance.now() - began;
    if (elapsed >= durationMs) break;
    // Paced: everything whose event time has come (the stream's Poisson clock sets the rate).
    const due = unpaced ? Number.POSITIVE_INFINITY : start + elapsed;
    const lines: string[] = [];
    while (next.ts <= due && lines.length < batchSize) {
      lines.push(next.line);
      next = stream.next().value;
    }
    if (lines.length) {
      await output.send(lines);
      sent += lines.length;
    }
    if (lines.length < batchSize) await new Promise((r) => setTimeout(r, Math.min(100, Math.max(5, next.ts - (start + (performance.now() - began))))));
    else if (unpaced) await new Promise((r) => setImmediate(r));
  }
  clearInterval(progress);
  await output.close();
  if (isTty) process.stderr.write("\n");
  report(true);
}

main().catch((err) => {
  console.error(`[simulate] ${(err as Error).message}`);
  process.exit(1);
});
