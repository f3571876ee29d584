// npm run fleet:import -- meters.csv [--gateways gateways.csv] [--server http://localhost:3000 --token ami_ing_...]
// All or nothing (docs/fleet-csv.md): every bad row is printed as file:line: reason, and nothing is written.
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { chooseCliTarget, postToServer } from "@/lib/fleet/cli-target";
import type { ImportResult } from "@/lib/fleet/import";

const USAGE = "usage: npm run fleet:import -- meters.csv [--gateways gateways.csv] [--server URL] [--token FLEET_TOKEN (scope fleet, made by an admin on the Ingest page)]";

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { gateways: { type: "string" }, server: { type: "string" }, token: { type: "string" }, help: { type: "boolean" } },
  });
  if (values.help || positionals.length !== 1) {
    console.error(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  const metersFile = positionals[0]!;
  const read = (f: string) => {
    try {
      return fs.readFileSync(f, "utf8");
    } catch (err) {
      console.error(`[fleet:import] cannot read ${f}: ${(err as Error).message}`);
      process.exit(2);
    }
  };
  const metersCsv = read(metersFile);
  const gatewaysCsv = values.gateways ? read(values.gateways) : undefined;

  const target = chooseCliTarget(values.server);
  let result: ImportResult;
  if (target.kind === "server") {
    console.error(`[fleet:import] the console server (PID ${target.pid}) holds the data directory: importing through ${target.url}/api/fleet/import`);
    if (!values.token) {
      console.error("[fleet:import] pass --token with an ingest token (Ingest page → tokens), or stop the server to import directly");
      process.exit(2);
    }
    result = (await postToServer<ImportResult>(`${target.url}/api/fleet/import`, { metersCsv, gatewaysCsv }, values.token, [422])).data;
  } else {
    const { startEngines, stopEngines } = await import("@/lib/server/boot");
    const { getDb } = await import("@/lib/db");
    const { getClickHouse } = await import("@/lib/clickhouse/client");
    const { importFleet } = await import("@/lib/fleet/import");
    console.error("[fleet:import] no server holds the data directory: importing directly");
    await startEngines((m) => console.error(m));
    try {
      result = await importFleet({ metersCsv, gatewaysCsv, db: getDb(), ch: await getClickHouse() });
    } finally {
      await stopEngines();
    }
  }

  if (!result.ok) {
    const names = { meters: path.basename(metersFile), gateways: values.gateways ? path.basename(values.gateways) : "gateways" };
    for (const e of result.errors) console.error(`${names[e.file]}:${e.line}: ${e.id ? e.id + ": " : ""}${e.reason}`);
    console.error(`[fleet:import] refused: ${result.errors.length} bad row(s); nothing was written`);
    process.exit(1);
  }
  console.log(
    `[fleet:import] imported ${result.meters.toLocaleString("en")} meters and ${result.gateways} gateways` +
      (result.zonesCreated.length ? `, created zones ${result.zonesCreated.join(", ")}` : "") +
      ` (database ${(result.prismaMs / 1000).toFixed(1)} s, analytics copy ${(result.clickhouseMs / 1000).toFixed(1)} s)`,
  );
}

main().catch((err) => {
  console.error(`[fleet:import] failed: ${(err as Error).message}`);
  process.exit(1);
});
