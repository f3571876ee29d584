// One zod schema for every environment variable, parsed once.
// Nobody else reads process.env: import { env } from "@/lib/env".
import path from "node:path";
import { z } from "zod";

const bool = z.enum(["1", "0", "true", "false", "yes", "no", ""]).transform((v) => v === "1" || v === "true" || v === "yes");

const duration = z
  .string()
  .regex(/^\d+(ms|s|m|h|d)$/, "expected a duration like 500ms, 30s, 15m, 2h, 7d")
  .transform((v) => {
    const n = Number.parseInt(v, 10);
    const unit = v.replace(/^\d+/, "");
    const mult = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit]!;
    return n * mult;
  });

const optionalUrl = (protocols: string[]) =>
  z
    .string()
    .optional()
    .transform((v) => (v === "" ? undefined : v))
    .refine((v) => v === undefined || protocols.some((p) => v.startsWith(p + "://")), `expected a URL starting with ${protocols.map((p) => p + "://").join(" or ")}`);

export const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  /** Listen address; unset: 0.0.0.0 in production, 127.0.0.1 in development (see listenHost). */
  HOST: z.string().min(1).optional(),
  /**
   * Reverse proxies in front of the server that append to X-Forwarded-For.
   * 0 (default): the socket address is the client and X-Forwarded-For is ignored
   * (a client could forge it); N: the N-th address from the right is the client.
   */
  TRUST_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(0),
  /** Where the embedded engines keep their files (PGlite under pg/, chDB under ch/). */
  DATA_DIR: z.string().default("data"),
  /** Real PostgreSQL instead of embedded PGlite. */
  DATABASE_URL: optionalUrl(["postgres", "postgresql"]),
  /** Real ClickHouse server instead of embedded chDB. */
  CLICKHOUSE_URL: optionalUrl(["http", "https"]),
  CLICKHOUSE_USER: z.string().default("default"),
  CLICKHOUSE_PASSWORD: z.string().default(""),
  CLICKHOUSE_DATABASE: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "expected a database identifier")
    .default("ami"),
  /** Per-query timeout for reads (explorer, matrix, map). */
  CLICKHOUSE_QUERY_TIMEOUT: duration.prefault("10s"),
  NEXTAUTH_SECRET: z.string().min(16, "must be at least 16 characters").optional(),
  NEXTAUTH_URL: optionalUrl(["http", "https"]),
  /** Demo mode: seeds demo users and a demo fleet at start. Set by `npm run demo`. */
  AMI_DEMO: bool.prefault("0"),
  DEMO_METERS: z.coerce.number().int().min(100).max(2_000_000).default(20_000),
  /** Login throttle: failures allowed per account and per IP inside the window. */
  LOGIN_MAX_FAILURES: z.coerce.number().int().min(1).default(5),
  LOGIN_WINDOW: duration.prefault("15m"),
  /** Log exports (GET /api/logs/export) one user may run at the same time. */
  EXPORT_MAX_CONCURRENT_PER_USER: z.coerce.number().int().min(1).max(20).default(2),
  /** /api/v1 calls one API token may make per minute (a token bucket: bursts up to this, refilled evenly). */
  API_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(600),
  /** Comma-separated files (or globs in the file name: /var/log/ami/*.log) the file-tail source follows. Empty disables it. */
  INGEST_FILES: z
    .string()
    .default("/var/log/ami/maintenance_audit.log")
    .transform((v) =>
      v
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .refine((files) => files.every((f) => !/[*?]/.test(path.dirname(f))), "a glob may only be in the file name (/var/log/ami/*.log), not in a directory"),
  /** Extra globs of rotated names next to a tailed file (`{name}` = its name), besides NAME.1, NAME.1.gz and NAME-YYYYMMDD. */
  INGEST_ROTATED_GLOBS: z
    .string()
    .default("")
    .transform((v) =>
      v
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  INGEST_BATCH_ROWS: z.coerce.number().int().min(1).max(1_000_000).default(50_000),
  INGEST_MAX_BATCH_ROWS: z.coerce.number().int().min(1).max(2_000_000).default(400_000),
  INGEST_FLUSH_INTERVAL: duration.prefault("500ms"),
  INGEST_MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(32 * 1024 * 1024),
  /** Parse threads for large batches (0 = parse on the main thread; measured faster on 2 cores). */
  INGEST_PARSE_WORKERS: z.coerce.number().int().min(0).max(8).default(0),
  /** Stable MQTT client id (persistent session, so unacknowledged messages are redelivered). */
  MQTT_CLIENT_ID: z.string().min(1).max(64).optional(),
  MQTT_URL: optionalUrl(["mqtt", "mqtts", "ws", "wss", "tcp"]),
  /** Broker credentials, kept out of MQTT_URL so the URL can be shown and logged. */
  MQTT_USERNAME: z.string().optional(),
  MQTT_PASSWORD: z.string().optional(),
  MQTT_TOPICS: z
    .string()
    .default("ami/+/audit,ami/+/led")
    .transform((v) =>
      v
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  /** A meter not heard from for this long is drawn as stale on the map. */
  STALE_AFTER: duration.prefault("24h"),
  /** Optional raster tile URL template or MapLibre style URL; unset = bundled offline basemap. */
  MAP_TILE_URL: z.string().optional(),
  /** Head-end adapter: the built-in simulator or a real HES over HTTP. */
  HES_ADAPTER: z.enum(["simulator", "http"]).default("simulator"),
  HES_URL: optionalUrl(["http", "https"]),
  HES_TOKEN: z.string().optional(),
  HES_TIMEOUT: duration.prefault("30s"),
  /** Alert rules are evaluated (and notifications sent) in this process; 0 turns both off. */
  ALERTS_ENABLED: bool.prefault("1"),
  /** Key for channel secrets stored in the database (AES-256-GCM); unset: derived from NEXTAUTH_SECRET. */
  ALERTS_SECRET_KEY: z.string().min(16, "must be at least 16 characters").optional(),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
});

export type Env = z.infer<typeof envSchema>;

export class EnvError extends Error {
  constructor(public readonly issues: { variable: string; message: string }[]) {
    super("Invalid configuration:\n" + issues.map((i) => `  ${i.variable}: ${i.message}`).join("\n"));
    this.name = "EnvError";
  }
}

/** Parse a variables object; throws EnvError naming each bad variable. */
export function parseEnv(source: Record<string, string | undefined>): Env {
  const result = envSchema.safeParse(source);
  if (!result.success) {
    throw new EnvError(result.error.issues.map((i) => ({ variable: String(i.path[0] ?? "?"), message: i.message })));
  }
  return result.data;
}

const globalForEnv = globalThis as unknown as { __amiEnv?: Env };

function loadEnv(): Env {
  if (!globalForEnv.__amiEnv) globalForEnv.__amiEnv = parseEnv(process.env);
  return globalForEnv.__amiEnv;
}

/** The parsed configuration (parsed on first use, once per process). */
export const env: Env = new Proxy({} as Env, {
  get: (_t, key) => loadEnv()[key as keyof Env],
});

/** The listen address: HOST, else every interface in production and loopback only in development. */
export function listenHost(e: Pick<Env, "HOST" | "NODE_ENV">): string {
  return e.HOST ?? (e.NODE_ENV === "production" ? "0.0.0.0" : "127.0.0.1");
}

/** Absolute paths of the embedded engines' directories. */
export function dataPaths(e: Pick<Env, "DATA_DIR"> = env) {
  const root = path.resolve(e.DATA_DIR);
  return { root, pg: path.join(root, "pg"), ch: path.join(root, "ch"), lock: path.join(root, ".lock"), checkpoints: path.join(root, "checkpoints") };
}

/** Names an alert channel may take a secret from (never the console's own secrets). */
export const ALERT_SECRET_ENV_PATTERN = /^AMI_ALERT_[A-Z0-9_]{1,60}$/;

/**
 * A channel secret given by environment variable name (webhook HMAC key, SMTP password). Only
 * AMI_ALERT_* names: an admin naming NEXTAUTH_SECRET gets nothing. Read at send time, so a
 * rotated secret needs no restart.
 */
export function readAlertSecretEnv(name: string): string | undefined {
  if (!ALERT_SECRET_ENV_PATTERN.test(name)) return undefined;
  const v = process.env[name];
  return v === undefined || v === "" ? undefined : v;
}
