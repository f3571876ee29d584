#!/usr/bin/env node
// Generate the Prisma client into lib/generated/prisma without network access.
// npm 11 skips install scripts, so this runs as an explicit step (postinstall,
// predev, pretest). Plain .mjs so it works without tsx (npm ci --omit=dev).
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const prismaCli = path.join(root, "node_modules", "prisma", "build", "index.js");

const stub = path.join(root, "scripts", "prisma-engine-stub.sh");
try {
  fs.chmodSync(stub, 0o755); // the exec bit can be lost by archives and some checkouts
} catch {
  /* read-only tree: the bit is then whatever git gave us */
}

const result = spawnSync(process.execPath, [prismaCli, "generate", "--config", path.join(root, "prisma.config.ts")], {
  cwd: root,
  stdio: "inherit",
  env: {
    ...process.env,
    // The CLI insists on a native schema engine path; the stub fails loudly if ever run.
    PRISMA_SCHEMA_ENGINE_BINARY: stub,
    PRISMA_ENGINES_CHECKSUM_IGNORE_MISSING: "1",
    CHECKPOINT_DISABLE: "1",
    PRISMA_HIDE_UPDATE_MESSAGE: "1",
  },
});
if (result.error) {
  console.error(`prisma generate could not start: ${result.error.message}`);
  process.exit(1);
}
process.exit(result.status ?? 1);
