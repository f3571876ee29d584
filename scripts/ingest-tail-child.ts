// Child process for the kill -9 durability test (ingest/file-tail.int.test.ts):
// tails FILE into the chDB under DIR until SIGTERM. Prints "ready" once tailing.
// Usage: tsx scripts/ingest-tail-child.ts DIR FILE
import path from "node:path";
import { FileTail } from "../ingest/file-tail";
import { openTestEngine } from "../ingest/test-engine";
import { createIngestWriter } from "../ingest/writer";

async function main() {
  const [dir, file] = process.argv.slice(2);
  if (!dir || !file) throw new Error("usage: ingest-tail-child DIR FILE");
  const eng = await openTestEngine(dir);
  const writer = createIngestWriter({ sink: eng.sink });
  const tail = new FileTail({ path: file, writer, checkpointDir: path.join(dir, "checkpoints"), batchRows: 500, flushIntervalMs: 50, pollMs: 20 });
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
