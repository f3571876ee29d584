// The console's one HTTP server: Next.js (App Router) + socket.io + the ingest
// sources. Owns the embedded engines (data/ lock). Production: compiled by
// esbuild (scripts/build-server.ts) to dist/server.js and run with plain node.
import { createServer, type IncomingMessage } from "node:http";
import fs from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import next from "next";
import { EnvError, listenHost, parseEnv } from "./lib/env";
import { resolveClientIp } from "./lib/auth/client-ip";
import { buildCsp, createNonce, securityHeaders } from "./lib/security/headers";
import { DataDirLockedError } from "./lib/server/data-lock";

function fail(message: string): never {
  console.error(`[server] ${message}`);
  process.exit(1);
}

/** Demo and development keep a generated session secret under data/ so sign-ins survive a restart. */
function ensureDemoSecret(dataDir: string): string {
  const file = path.join(path.resolve(dataDir), "demo-secret");
  try {
    return fs.readFileSync(file, "utf8").trim();
  } catch {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const secret = randomBytes(32).toString("base64url");
    fs.writeFileSync(file, secret + "\n", { mode: 0o600 });
    return secret;
  }
}

function clientIp(req: IncomingMessage, trustedHops: number): string {
  return resolveClientIp(req.socket.remoteAddress, req.headers["x-forwarded-for"], trustedHops);
}

async function main() {
  let env;
  try {
    env = parseEnv(process.env);
  } catch (err) {
    if (err instanceof EnvError) fail(err.message);
    throw err;
  }
  const dev = env.NODE_ENV !== "production";
  if (!env.NEXTAUTH_SECRET) {
    if (!dev && !env.AMI_DEMO)
      fail("NEXTAUTH_SECRET is required in production (for example: export NEXTAUTH_SECRET=$(openssl rand -base64 32)). `npm run demo` generates one for you.");
    // Random per data directory, never a fixed string: a dev server's cookies are not valid on another's.
    process.env.NEXTAUTH_SECRET = ensureDemoSecret(env.DATA_DIR);
  }
  process.env.NEXTAUTH_URL ??= `http://localhost:${env.PORT}`;
  (globalThis as { __amiEnv?: unknown }).__amiEnv = undefined; // re-parse with the secret set above

  const { startEngines, stopEngines } = await import("./lib/server/boot");
  try {
    await startEngines();
  } catch (err) {
    if (err instanceof DataDirLockedError) fail(err.message);
    throw err;
  }
  let demo: { stop(): Promise<void> } | null = null;
  if (env.AMI_DEMO) {
    const { seedDemo } = await import("./lib/demo/seed");
    demo = await seedDemo({ log: (m) => console.log(m) });
  }

  const app = next({ dev, dir: process.cwd(), hostname: "localhost", port: env.PORT });
  const handle = app.getRequestHandler();
  await app.prepare();

  const server = createServer((req, res) => {
    // The only client-address header lib/ trusts; any client-sent copy is replaced.
    req.headers["x-ami-client-ip"] = clientIp(req, env.TRUST_PROXY_HOPS);
    // Next takes the nonce for its script tags from the request's CSP (the proxy.ts pattern
    // of the Next docs, done here so every response, static files and API included, has it).
    // A client-sent copy is replaced, so nobody picks the nonce.
    const csp = buildCsp({ nonce: createNonce(), dev, tileUrl: env.MAP_TILE_URL });
    req.headers["content-security-policy"] = csp;
    delete req.headers["content-security-policy-report-only"];
    for (const [name, value] of Object.entries(securityHeaders(csp))) res.setHeader(name, value);
    handle(req, res).catch((err) => {
      console.error("[server] request failed", err);
      if (!res.headersSent) res.statusCode = 500;
      res.end();
    });
  });

  const { attachSocketServer, closeSocketServer } = await import("./lib/realtime/socket-server");
  attachSocketServer(server);
  if (dev) {
    const upgrade = app.getUpgradeHandler();
    server.on("upgrade", (req, socket, head) => {
      if (!req.url?.startsWith("/socket.io")) upgrade(req, socket, head);
    });
  }

  const { startIngest } = await import("./ingest/index");
  const ingest = await startIngest({ log: (m) => console.log(m) });
  const { startDispatcher } = await import("./lib/campaigns/dispatcher");
  const dispatcher = startDispatcher();
  const alerts = env.ALERTS_ENABLED ? await (await import("./lib/alerts/server")).startAlerts() : null;
  // Build the map's cell table in the background so the first map view does not wait for it.
  const { ensureMapCellsSync } = await import("./lib/map/server/cells-sync");
  void ensureMapCellsSync().catch((err) => console.error("[server] map cells build failed", err));

  await new Promise<void>((resolve) => server.listen(env.PORT, listenHost(env), resolve));
  console.log(`[server] AMI console ready on http://localhost:${env.PORT}, listening on ${listenHost(env)} (${dev ? "development" : "production"}${env.AMI_DEMO ? ", demo" : ""})`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`[server] ${signal}: shutting down`);
    const force = setTimeout(() => {
      console.error("[server] shutdown took too long; exiting");
      process.exit(1);
    }, 20_000);
    force.unref();
    server.close();
    await closeSocketServer().catch(() => {});
    await dispatcher.stop().catch((err) => console.error("[server] dispatcher stop failed", err));
    await alerts?.stop().catch((err) => console.error("[server] alerts stop failed", err));
    const { stopMapCellsSync } = await import("./lib/map/server/cells-sync");
    stopMapCellsSync();
    await demo?.stop().catch((err) => console.error("[server] demo stream stop failed", err));
    await ingest.stop().catch((err) => console.error("[server] ingest stop failed", err));
    await stopEngines();
    console.log("[server] stopped cleanly");
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

main().catch((err) => {
  console.error("[server] failed to start:", err);
  process.exit(1);
});
