// Child process for the kill -9 durability tests (ingest/file-tail-kill.int.test.ts,
// lib/testing/ingest-soak.ts): tails FILE into the chDB under DIR until SIGTERM. Prints "ready" once tailing.
// Usage: tsx scripts/ingest-tail-child.ts DIR FILE [JSON of FileTail options]
import path from "node:path";
import { FileTail, type FileTailOptions } from "../ingest/file-tail";
import { openTestEngine } from "../lib/testing/ingest-engine";
import { createIngestWriter } from "../ingest/writer";

async function main() {
  const [dir, file, extra] = process.argv.slice(2);
  if (!dir || !file) throw new Error("usage: ingest-tail-child DIR FILE [OPTIONS_JSON]");
  const eng = await openTestEngine(dir);
  const writer = createIngestWriter({ sink: eng.sink });
  const options = (extra ? JSON.parse(extra) : {}) as Partial<FileTailOptions>;
  const log = process.env.AMI_TAIL_DEBUG ? (m: string) => process.stderr.write(`${m}\n`) : undefined;
  const tail = new FileTail({ path: file, writer, checkpointDir: path.join(dir, "checkpoints"), batchRows: 500, flushIntervalMs: 50, pollMs: 20, log, ...options });
  tail.start();
  process.stdout.write("ready\n");
  process.once("SIGTERM", async () => {
    await tail.stop();
    await writer.close();
    await eng.close();
    process.exit(0);
  });
}
main().catch((err) => {
  console.error(err);
  process.exit(1);
});
