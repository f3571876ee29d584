// Compiles server.ts (and the lib/ code it imports) to dist/server.js for plain
// `node`. node_modules stay external; Next builds its own bundle of app/.
import { build } from "esbuild";

build({
  // The parse worker is its own entry: ingest/parse-pool.ts loads dist/parse-worker.js.
  entryPoints: ["server.ts", "ingest/parse-worker.ts"],
  outdir: "dist",
  entryNames: "[name]",
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  packages: "external",
  sourcemap: true,
  logLevel: "warning",
  // lib/auth/session.ts marks itself server-only; the server bundle never needs it.
  alias: { "server-only": "./scripts/empty-module.js" },
})
  .then(() => console.log("[build] dist/server.js"))
  .catch(() => process.exit(1));
