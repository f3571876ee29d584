// MQTT source: QoS 1 subscription with a persistent session (clean: false,
// stable clientId), PUBACK only after the message's batch committed.
// mqtt.js acks a QoS 1 message when handleMessage's callback succeeds and only
// then reads the next packet; we call that callback with a marker error (the
// packet loop goes on, no PUBACK is sent) and send the PUBACK ourselves after
// the commit. A message redelivered after a crash (DUP flag) is looked up by
// its id first and left out when it is already stored.
import { hostname } from "node:os";
import mqtt, { type IPublishPacket, type MqttClient } from "mqtt";
import { findStoredAuditIds, findStoredRejectPositions } from "../lib/clickhouse/queries/ingest";
import { parseLine } from "./parse";
import { hash64 } from "./rows";
import { redactUrlCredentials } from "../lib/security/redact";
import type { SourceReporter } from "./status";
import type { IngestWriter } from "./writer";

export interface MqttSourceOptions {
  /** May carry user:password; it is only ever shown redacted. */
  url: string;
  /** Broker credentials (MQTT_USERNAME / MQTT_PASSWORD); override those in the URL. */
  username?: string;
  password?: string;
  topics: string[];
  writer: IngestWriter;
  batchRows: number;
  flushIntervalMs: number;
  /** Flush early when no message arrived for this long (brokers cap unacked messages). */
  idleFlushMs?: number;
  clientId?: string;
  /** Already-stored checks for redelivered messages (default: the process ClickHouse). */
  lookup?: {
    storedIds(input: { ids: string[]; fromTs: number; toTs: number }): Promise<Set<string>>;
    storedRejectPositions(source: string, positions: string[]): Promise<Set<string>>;
  };
  reporter?: SourceReporter;
  log?: (msg: string) => void;
  /** Test hook: runs after a batch committed, before its PUBACKs are sent. */
  afterCommit?: () => Promise<void> | void;
}

export const MQTT_SOURCE = "mqtt";

interface Pending {
  packet: IPublishPacket;
  generation: number;
  line: string;
  position: string;
}

class DeferredAck extends Error {
  constructor() {
    super("ack deferred until commit");
  }
}

export class MqttSource {
  private client: MqttClient;
  private pending: Pending[] = [];
  private generation = 0;
  private timer: NodeJS.Timeout | null = null;
  private firstAt = 0;
  private flushing: Promise<void> = Promise.resolve();
  private subscribed: Promise<void> | null = null;
  private stopped = false;
  private readonly log: (msg: string) => void;
  private readonly lookup: NonNullable<MqttSourceOptions["lookup"]>;

  constructor(private readonly opts: MqttSourceOptions) {
    this.log = opts.log ?? (() => {});
    this.lookup = opts.lookup ?? {
      storedIds: (input) => findStoredAuditIds(input),
      storedRejectPositions: (source, positions) => findStoredRejectPositions(source, positions),
    };
    const clientId = opts.clientId ?? `ami-console-ingest-${hostname()}`.slice(0, 64);
    const shownUrl = redactUrlCredentials(opts.url);
    this.client = mqtt.connect(opts.url, {
      clientId,
      ...(opts.username !== undefined ? { username: opts.username } : {}),
      ...(opts.password !== undefined ? { password: opts.password } : {}),
      clean: false,
      protocolVersion: 5,
      // Session survives disconnects so unacked messages are redelivered; ask for a large in-flight window.
      properties: { sessionExpiryInterval: 7 * 24 * 3600, receiveMaximum: 65535 },
      reconnectPeriod: 2000,
      connectTimeout: 10_000,
    });
    this.client.handleMessage = (packet, callback) => {
      this.onMessage(packet);
      // Not an error: keeps mqtt.js from sending PUBACK now (see header).
      callback(packet.qos > 0 ? new DeferredAck() : undefined);
    };
    this.client.on("close", () => {
      // Messages of a closed connection can no longer be acked; the broker redelivers them.
      this.generation++;
      this.pending = this.pending.filter((p) => p.generation === this.generation);
    });
    this.client.on("connect", (connack) => {
      opts.reporter?.setState("running", `connected to ${shownUrl}`);
      if (!connack.sessionPresent) this.log(`[ingest] mqtt: new session for ${clientId}`);
      this.subscribed = new Promise((resolve) => {
        this.client.subscribe(opts.topics, { qos: 1 }, (err) => {
          if (err) {
            opts.reporter?.recordError(err);
            this.log(`[ingest] mqtt subscribe failed: ${err.message}`);
          }
          resolve();
        });
      });
    });
    this.client.on("error", (err) => {
      opts.reporter?.recordError(err);
      opts.reporter?.setState("error", err.message);
    });
    this.client.on("offline", () => opts.reporter?.setState("error", `disconnected from ${shownUrl}; reconnecting`));
  }

  /** Resolves once connected and subscribed (tests). */
  async ready(): Promise<void> {
    if (!this.client.connected) await new Promise<void>((resolve) => this.client.once("connect", () => resolve()));
    await this.subscribed;
  }

  private onMessage(packet: IPublishPacket) {
    const line = packet.payload.toString("utf8");
    // One line per message; the position (stored in ingest_rejects) is a hash of topic and payload.
    const position = hash64(`${packet.topic}\n${line}`);
    this.pending.push({ packet, generation: this.generation, line, position });
    this.opts.reporter?.setLag(this.pending.length, "messages");
    if (this.pending.length === 1) this.firstAt = Date.now();
    if (this.pending.length >= this.opts.batchRows) this.scheduleFlush(0);
    else this.scheduleFlush(Math.min(this.opts.idleFlushMs ?? 25, Math.max(0, this.firstAt + this.opts.flushIntervalMs - Date.now())));
  }

  private scheduleFlush(ms: number) {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flushing = this.flushing.then(() => this.flush());
    }, ms);
  }

  private async flush(): Promise<void> {
    const batch = this.pending.splice(0, this.opts.batchRows);
    if (batch.length === 0) return;
    if (this.pending.length > 0) this.scheduleFlush(0);
    try {
      const skip = new Set<number>();
      const dups = batch.map((p, i) => ({ p, i })).filter(({ p }) => p.packet.dup);
      if (dups.length > 0) {
        const ids = dups.map(({ p }) => hash64(`mqtt:${p.position}`));
        let fromTs = Infinity;
        let toTs = -Infinity;
        for (const { p } of dups) {
          const r = parseLine(p.line);
          if (r.ok === true) {
            fromTs = Math.min(fromTs, r.record.ts);
            toTs = Math.max(toTs, r.record.ts);
          }
        }
        const [storedIds, storedRejects] = await Promise.all([
          fromTs <= toTs ? this.lookup.storedIds({ ids, fromTs, toTs }) : Promise.resolve(new Set<string>()),
          this.lookup.storedRejectPositions(
            MQTT_SOURCE,
            dups.map(({ p }) => p.position),
          ),
        ]);
        dups.forEach(({ p, i }, k) => {
          if (storedIds.has(ids[k]!) || storedRejects.has(p.position)) skip.add(i);
        });
      }
      const positions = batch.map((p) => p.position);
      const result = await this.opts.writer.write({
        source: MQTT_SOURCE,
        token: `mqtt:${hash64(positions.join(","))}:${batch.length}`,
        idPrefix: "mqtt:",
        lines: batch.map((p) => p.line),
        positions,
        skip,
      });
      this.opts.reporter?.recordBatch(result);
      await this.opts.afterCommit?.();
      for (const p of batch) {
        if (p.generation !== this.generation || !this.client.connected) continue;
        (this.client as unknown as { _sendPacket(p: object, cb: () => void): void })._sendPacket({ cmd: "puback", messageId: p.packet.messageId, reasonCode: 0 }, () => {});
      }
      this.opts.reporter?.setLag(this.pending.length, "messages");
    } catch (err) {
      // Not acked: the broker redelivers after the next reconnect; force one so it happens soon.
      this.opts.reporter?.recordError(err);
      this.log(`[ingest] mqtt batch not stored (${(err as Error).message}); reconnecting for redelivery`);
      if (!this.stopped) this.client.reconnect();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.flushing = this.flushing.then(() => this.flush());
    await this.flushing;
    await this.client.endAsync();
    this.opts.reporter?.setState("stopped");
  }

  /** Drop the connection without acking anything pending (tests: a crash before PUBACK). */
  async kill(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.client.endAsync(true);
  }
}

export function startMqttSource(opts: MqttSourceOptions): MqttSource {
  return new MqttSource(opts);
}
