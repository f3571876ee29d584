// npm run demo: build if needed, then serve the production build in demo mode
// (migrations + demo users + demo fleet + a steady stream of events).
import { spawnSync, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const root = process.cwd();
const SOURCE_DIRS = ["app", "components", "lib", "ingest", "prisma", "public"];
const SOURCE_FILES = ["server.ts", "next.config.js", "package.json", "tsconfig.json"];

function newestMtime(p: string): number {
  if (!fs.existsSync(p)) return 0;
  const st = fs.statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = 0;
  for (const e of fs.readdirSync(p)) {
    if (e === "node_modules" || e === "generated") continue;
    max = Math.max(max, newestMtime(path.join(p, e)));
  }
  return max;
}

function needsBuild(): boolean {
  const marker = path.join(root, ".next", "BUILD_ID");
  if (!fs.existsSync(marker) || !fs.existsSync(path.join(root, "dist", "server.js"))) return true;
  const built = fs.statSync(marker).mtimeMs;
  const src = Math.max(...SOURCE_DIRS.map((d) => newestMtime(path.join(root, d))), ...SOURCE_FILES.map((f) => newestMtime(path.join(root, f))));
  return src > built;
}

if (needsBuild()) {
  console.log("[demo] building the console (first run, or sources changed)…");
  const r = spawnSync("npm", ["run", "build"], { stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
} else {
  console.log("[demo] build is up to date");
}

const args = process.argv.slice(2);
const metersArg = args.indexOf("--meters");
const env = { ...process.env, NODE_ENV: "production", AMI_DEMO: "1" } as NodeJS.ProcessEnv;
if (metersArg >= 0 && args[metersArg + 1]) env.DEMO_METERS = args[metersArg + 1];
const child = spawn(process.execPath, ["--enable-source-maps", "--max-semi-space-size=64", "dist/server.js"], { stdio: "inherit", env });
for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => child.kill(sig));
child.on("exit", (code) => process.exit(code ?? 0));
