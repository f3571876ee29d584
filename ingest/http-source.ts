// HTTP source behind POST /api/ingest: authenticate a per-source token, read
// the body with a streamed size limit (before and after gunzip), split lines,
// hand them to the writer and reply only after both tables committed.
// An Idempotency-Key makes the batch's dedup tokens and line ids depend on
// (token id, key, line index) only, and the reply is remembered for a while,
// so a retried request lands once and gets the same counts.
import { randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import type { SourceReporter } from "./status";
import type { BatchResult, IngestWriter } from "./writer";

export type Authenticate = (authorization: string | null) => Promise<{ ok: true; id: string; name: string } | { ok: false; status: 401 | 403; error: string }>;

export interface HttpIngestRequest {
  headers: { get(name: string): string | null };
  body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | null;
}

export interface HttpIngestReply {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

export interface HttpSourceOptions {
  writer: IngestWriter;
  authenticate: Authenticate;
  maxBodyBytes: number;
  batchRows: number;
  /** Longest a request waits for its commit before answering 429 (the batch still lands). */
  commitTimeoutMs?: number;
  /** How long a reply is remembered per (token, Idempotency-Key). */
  replyTtlMs?: number;
  reporter?: SourceReporter;
}

const IDEMPOTENCY_KEY_RE = /^[\x21-\x7e]{1,200}$/;
const MAX_REMEMBERED = 10_000;

class TooLargeError extends Error {}

/** Concatenate a body stream, counting bytes as they arrive; throws TooLargeError past `max`. */
async function readLimited(stream: AsyncIterable<Uint8Array>, max: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const chunk of stream) {
    n += chunk.byteLength;
    if (n > max) throw new TooLargeError();
    parts.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  }
  return Buffer.concat(parts, n);
}

function toAsyncIterable(body: HttpIngestRequest["body"]): AsyncIterable<Uint8Array> {
  if (!body) return (async function* () {})();
  if (typeof (body as ReadableStream).getReader === "function") return Readable.fromWeb(body as import("node:stream/web").ReadableStream<Uint8Array>);
  return body as AsyncIterable<Uint8Array>;
}

function splitBody(buf: Buffer): string[] {
  const lines: string[] = [];
  let start = 0;
  for (;;) {
    const nl = buf.indexOf(10, start);
    if (nl < 0) break;
    lines.push(buf.toString("utf8", start, nl));
    start = nl + 1;
  }
  if (start < buf.length) lines.push(buf.toString("utf8", start));
  return lines;
}

function reply(status: number, body: Record<string, unknown>, headers: Record<string, string> = {}): HttpIngestReply {
  return { status, body, headers };
}

interface Remembered {
  at: number;
  promise: Promise<BatchResult>;
  result: BatchResult | null;
}

export class HttpSource {
  private readonly remembered = new Map<string, Remembered>();
  private readonly commitTimeoutMs: number;
  private readonly replyTtlMs: number;

  constructor(private readonly opts: HttpSourceOptions) {
    this.commitTimeoutMs = opts.commitTimeoutMs ?? 25_000;
    this.replyTtlMs = opts.replyTtlMs ?? 15 * 60_000;
  }

  async handle(req: HttpIngestRequest): Promise<HttpIngestReply> {
    const auth = await this.opts.authenticate(req.headers.get("authorization"));
    if (!auth.ok) return reply(auth.status, { error: auth.error }, auth.status === 401 ? { "WWW-Authenticate": 'Bearer realm="ingest"' } : {});

    const key = req.headers.get("idempotency-key");
    if (key !== null && !IDEMPOTENCY_KEY_RE.test(key)) return reply(400, { error: "Idempotency-Key must be 1-200 visible ASCII characters" });
    const cacheKey = key === null ? null : `${auth.id}\u0000${key}`;
    this.expire();
    const seen = cacheKey ? this.remembered.get(cacheKey) : undefined;
    if (seen) return this.await(seen.promise, true);

    const { writer } = this.opts;
    if (writer.isCongested()) {
      return reply(
        429,
        { error: writer.isFailing() ? "analytics store unavailable; retry later" : "ingest is congested; retry later" },
        { "Retry-After": writer.isFailing() ? "5" : "1" },
      );
    }
    const type = (req.headers.get("content-type") ?? "text/plain").split(";")[0]!.trim().toLowerCase();
    if (!["text/plain", "application/x-ndjson", "application/ndjson", "application/jsonl", "application/json"].includes(type)) {
      return reply(415, { error: "send text/plain (raw lines) or application/x-ndjson (one JSON object per line)" });
    }
    const encoding = (req.headers.get("content-encoding") ?? "identity").trim().toLowerCase();
    if (encoding !== "identity" && encoding !== "gzip") return reply(415, { error: "Content-Encoding must be gzip or absent" });
    const max = this.opts.maxBodyBytes;
    const declared = Number(req.headers.get("content-length") ?? NaN);
    if (Number.isFinite(declared) && declared > max) return reply(413, { error: `body over ${max} bytes` });

    let lines: string[];
    try {
      const raw = toAsyncIterable(req.body);
      // Both limits are counted while streaming: the wire bytes and the gunzipped bytes.
      const wire = await readLimited(raw, max);
      const body = encoding === "gzip" ? await readLimited(Readable.from([wire]).pipe(createGunzip()), max) : wire;
      lines = splitBody(body);
    } catch (err) {
      if (err instanceof TooLargeError) return reply(413, { error: `body over ${max} bytes (counted after decompression too)` });
      return reply(400, { error: encoding === "gzip" ? "body is not valid gzip" : "could not read the body" });
    }

    const prefix = `http:${auth.id}:${key ?? randomUUID()}:`;
    const promise = this.writeAll(`http:${auth.name}`, prefix, lines);
    if (cacheKey) {
      const entry: Remembered = { at: Date.now(), promise, result: null };
      this.remembered.set(cacheKey, entry);
      promise.then(
        (r) => (entry.result = r),
        () => this.remembered.delete(cacheKey),
      );
      if (this.remembered.size > MAX_REMEMBERED) this.remembered.delete(this.remembered.keys().next().value!);
    }
    return this.await(promise, false);
  }

  private async writeAll(source: string, prefix: string, lines: string[]): Promise<BatchResult> {
    const { writer, batchRows } = this.opts;
    const parts: Promise<BatchResult>[] = [];
    for (let from = 0; from < lines.length; from += batchRows) {
      const slice = lines.slice(from, from + batchRows);
      const positions = slice.map((_, i) => from + i);
      parts.push(writer.write({ source, token: `${prefix}${from}-${from + slice.length - 1}`, idPrefix: prefix, lines: slice, positions }));
    }
    const results = await Promise.all(parts);
    const total: BatchResult = { accepted: 0, refused: 0, skipped: 0, reasons: {} };
    for (const r of results) {
      total.accepted += r.accepted;
      total.refused += r.refused;
      total.skipped += r.skipped;
      for (const [k, v] of Object.entries(r.reasons)) total.reasons[k] = (total.reasons[k] ?? 0) + v;
    }
    this.opts.reporter?.recordBatch(total);
    this.opts.reporter?.setState("running");
    return total;
  }

  private async await(promise: Promise<BatchResult>, replayed: boolean): Promise<HttpIngestReply> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), this.commitTimeoutMs)));
    try {
      const r = await Promise.race([promise, timeout]);
      if (r === "timeout") {
        return reply(429, { error: "not committed yet (analytics store slow or down); retry with the same Idempotency-Key" }, { "Retry-After": "5" });
      }
      return reply(200, { accepted: r.accepted, refused: r.refused, reasons: r.reasons }, replayed ? { "Idempotent-Replayed": "true" } : {});
    } catch (err) {
      this.opts.reporter?.recordError(err);
      return reply(503, { error: "ingest is shutting down; retry later" }, { "Retry-After": "5" });
    } finally {
      clearTimeout(timer);
    }
  }

  private expire() {
    const cutoff = Date.now() - this.replyTtlMs;
    for (const [k, v] of this.remembered) {
      if (v.at >= cutoff) break;
      if (v.result) this.remembered.delete(k);
    }
  }
}

export function createHttpSource(opts: HttpSourceOptions): HttpSource {
  return new HttpSource(opts);
}
