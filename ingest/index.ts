// Ingest sources started by server.ts. Each source feeds the one parser and
// the one batching writer; stop() flushes what is buffered before returning.
import fs from "node:fs";
import path from "node:path";
import { env, dataPaths } from "../lib/env";
import { publish } from "../lib/realtime/hub";
import { createDefaultIngestSink } from "../lib/clickhouse/queries/ingest";
import { listCurrentMeterStates } from "../lib/clickhouse/meter-state-current";
import { authenticateIngestToken } from "../lib/auth/ingest-tokens";
import { redactUrlCredentials } from "../lib/security/redact";
import { expandPattern, hasGlob } from "./chain";
import { FileTail } from "./file-tail";
import { createHttpSource } from "./http-source";
import { setIngestRuntime } from "./runtime";
import { publishCommitted } from "./live";
import { startMqttSource, type MqttSource } from "./mqtt-source";
import { MeterStateTracker } from "./state-tracker";
import { getIngestStatus, registerSource, setStatusChangeListener, setWriterStatsProvider } from "./status";
import { createIngestWriter } from "./writer";

export { getIngestStatus } from "./status";
export type { IngestStatus, SourceStatus } from "./status";

export interface IngestHandle {
  stop(): Promise<void>;
}

export { getIngestRuntime } from "./runtime";

const TRACKER_SEED_METERS = 200_000;
const STATUS_EVERY_MS = 2_000;
const STOP_SOURCES_MS = 8_000;
const STOP_WRITER_MS = 6_000;
/** How often INGEST_FILES globs are matched again for new files. */
const GLOB_RESCAN_MS = 2_000;

export async function startIngest(opts: { log: (msg: string) => void }): Promise<IngestHandle> {
  const { log } = opts;
  const sink = createDefaultIngestSink();
  const tracker = new MeterStateTracker(TRACKER_SEED_METERS * 2);
  try {
    for (const s of await listCurrentMeterStates({ limit: TRACKER_SEED_METERS })) {
      tracker.seed(s.meter, { gw: s.gw, led: s.led, faultSev: s.fault_sev, faultCode: s.fault_code, ts: s.last_seen ?? 0 });
    }
  } catch (err) {
    log(`[ingest] could not seed meter states (live changes start from scratch): ${(err as Error).message}`);
  }
  const maxBatchRows = Math.max(env.INGEST_BATCH_ROWS, env.INGEST_MAX_BATCH_ROWS);
  const writer = createIngestWriter({
    sink,
    tracker,
    // Room for a catching-up file tail's two big batches (one inserting, one parsed) plus a small one.
    maxQueuedRows: Math.max(4 * env.INGEST_BATCH_ROWS, 2 * maxBatchRows + env.INGEST_BATCH_ROWS, 100_000),
    parseWorkers: env.INGEST_PARSE_WORKERS,
    onCommitted: publishCommitted,
    log,
  });
  setWriterStatsProvider(() => writer.getStats());

  const httpReporter = registerSource("http", "http");
  httpReporter.setState("idle", "POST /api/ingest with a bearer token");
  const http = createHttpSource({
    writer,
    authenticate: authenticateIngestToken,
    maxBodyBytes: env.INGEST_MAX_BODY_BYTES,
    batchRows: env.INGEST_BATCH_ROWS,
    reporter: httpReporter,
  });
  setIngestRuntime({ writer, http });

  // A degraded source (or its recovery) reaches the Ingest page at once, not at the next snapshot.
  let pushQueued = false;
  setStatusChangeListener(() => {
    if (pushQueued) return;
    pushQueued = true;
    setImmediate(() => {
      pushQueued = false;
      publish("ingest", "status", getIngestStatus());
    });
  });

  const tails = new Map<string, FileTail>();
  const startTail = (file: string) => {
    if (tails.has(file)) return;
    const tail = new FileTail({
      path: file,
      writer,
      checkpointDir: dataPaths().checkpoints,
      batchRows: env.INGEST_BATCH_ROWS,
      maxBatchRows,
      flushIntervalMs: env.INGEST_FLUSH_INTERVAL,
      rotatedGlobs: env.INGEST_ROTATED_GLOBS,
      reporter: registerSource(`file:${file}`, "file"),
      log,
    });
    tails.set(file, tail);
    tail.start();
  };
  // INGEST_FILES entries with a glob in the file name: every match is tailed, new ones as they appear.
  const matchGlobs = async () => {
    for (const pattern of env.INGEST_FILES) {
      if (!hasGlob(path.basename(pattern))) continue;
      const names = await fs.promises.readdir(path.dirname(path.resolve(pattern))).catch(() => [] as string[]);
      for (const file of expandPattern(pattern, names)) {
        if (!tails.has(file)) log(`[ingest] ${file} matches ${pattern}: tailing it`);
        startTail(file);
      }
    }
  };
  for (const pattern of env.INGEST_FILES) if (!hasGlob(path.basename(pattern))) startTail(path.resolve(pattern));
  await matchGlobs();
  const globTimer = env.INGEST_FILES.some((p) => hasGlob(path.basename(p))) ? setInterval(() => void matchGlobs(), GLOB_RESCAN_MS) : null;
  globTimer?.unref();
  if (env.INGEST_FILES.length) log(`[ingest] tailing ${env.INGEST_FILES.join(", ")}`);

  let mqtt: MqttSource | null = null;
  if (env.MQTT_URL) {
    mqtt = startMqttSource({
      url: env.MQTT_URL,
      username: env.MQTT_USERNAME,
      password: env.MQTT_PASSWORD,
      topics: env.MQTT_TOPICS,
      clientId: env.MQTT_CLIENT_ID,
      writer,
      batchRows: env.INGEST_BATCH_ROWS,
      flushIntervalMs: env.INGEST_FLUSH_INTERVAL,
      reporter: registerSource("mqtt", "mqtt"),
      log,
    });
    log(`[ingest] subscribing to ${env.MQTT_TOPICS.join(", ")} on ${redactUrlCredentials(env.MQTT_URL)}`);
  }

  const statusTimer = setInterval(() => publish("ingest", "status", getIngestStatus()), STATUS_EVERY_MS);
  statusTimer.unref();

  return {
    async stop() {
      clearInterval(statusTimer);
      if (globTimer) clearInterval(globTimer);
      setStatusChangeListener(null);
      // Sources hand their buffered lines to the writer; if the analytics store is down this
      // cannot finish, so give up after a while (unconfirmed file ranges are replayed at start).
      const sourcesStopped = Promise.allSettled([...[...tails.values()].map((t) => t.stop()), mqtt?.stop()]);
      await Promise.race([sourcesStopped, new Promise((r) => setTimeout(r, STOP_SOURCES_MS).unref())]);
      await writer.close(STOP_WRITER_MS);
      await sink.close();
      setWriterStatsProvider(null);
      httpReporter.remove();
      setIngestRuntime(null);
    },
  };
}
