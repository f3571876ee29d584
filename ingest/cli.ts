// npm run ingest -- check FILE [--json]
//   Validate a log file (plain or .gz) with the ingest parser without storing
//   anything; prints per-reason counts. Exit 1 when a line was refused.
// npm run ingest -- backfill FILE --token T [--url http://localhost:3000] [--batch 20000]
//   Stream a file to the RUNNING server's POST /api/ingest in gzip batches, each
//   with an Idempotency-Key derived from the file and batch number (a re-run
//   after an interruption lands once). Progress on stderr. Never opens the
//   embedded engines (the server owns data/).
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";
import { gzipSync, createGunzip } from "node:zlib";
import { env } from "../lib/env";
import { parseLine } from "./parse";

interface Counts {
  lines: number;
  accepted: number;
  refused: number;
  skipped: number;
  reasons: Record<string, number>;
}

function usage(): never {
  process.stderr.write("usage:\n  npm run ingest -- check FILE [--json]\n  npm run ingest -- backfill FILE --token TOKEN [--url URL] [--batch N]\n");
  process.exit(2);
}

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  if (v === undefined || v.startsWith("--")) usage();
  return v;
}

/** Lines of a file (gunzipped when .gz), with the compressed/plain bytes read so far. */
function openLines(file: string) {
  const input = fs.createReadStream(file, { highWaterMark: 1 << 20 });
  const stream = file.endsWith(".gz") ? input.pipe(createGunzip()) : input;
  const rl = readline.createInterface({ input: stream, crlfDelay: Infinity });
  return { rl, bytesRead: () => input.bytesRead, total: fs.statSync(file).size };
}

async function check(file: string, json: boolean) {
  const counts: Counts = { lines: 0, accepted: 0, refused: 0, skipped: 0, reasons: {} };
  const examples: Record<string, { line: number; text: string }> = {};
  const now = Date.now();
  const { rl } = openLines(file);
  for await (const line of rl) {
    counts.lines++;
    const r = parseLine(line, { now });
    if (r.ok === true) counts.accepted++;
    else if (r.ok === false) {
      counts.refused++;
      counts.reasons[r.reason] = (counts.reasons[r.reason] ?? 0) + 1;
      examples[r.reason] ??= { line: counts.lines, text: line.slice(0, 200) };
    } else counts.skipped++;
  }
  if (json) process.stdout.write(JSON.stringify({ file, ...counts, examples }, null, 2) + "\n");
  else {
    process.stdout.write(`${file}: ${counts.lines} lines, ${counts.accepted} accepted, ${counts.refused} refused, ${counts.skipped} blank\n`);
    for (const [reason, n] of Object.entries(counts.reasons).sort((a, b) => b[1] - a[1])) {
      process.stdout.write(`  ${reason.padEnd(28)} ${String(n).padStart(10)}   e.g. line ${examples[reason]!.line}: ${JSON.stringify(examples[reason]!.text)}\n`);
    }
  }
  process.exit(counts.refused > 0 ? 1 : 0);
}

function formatDuration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return "--:--";
  const m = Math.floor(s / 60);
  const h = Math.floor(m / 60);
  const ss = String(Math.floor(s % 60)).padStart(2, "0");
  return h > 0 ? `${h}:${String(m % 60).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function postBatch(url: string, token: string, key: string, lines: string[]): Promise<Counts> {
  const body = gzipSync(lines.join("\n") + "\n");
  let delay = 500;
  for (let attempt = 1; ; attempt++) {
    let res: Response | null = null;
    try {
      res = await fetch(url, {
        method: "POST",
        body: new Uint8Array(body),
        headers: { authorization: `Bearer ${token}`, "content-type": "text/plain", "content-encoding": "gzip", "idempotency-key": key },
      });
    } catch (err) {
      if (attempt >= 30) throw new Error(`server unreachable at ${url}: ${(err as Error).message}`, { cause: err });
    }
    if (res?.ok) {
      const j = (await res.json()) as { accepted: number; refused: number; reasons: Record<string, number> };
      return { lines: lines.length, accepted: j.accepted, refused: j.refused, skipped: 0, reasons: j.reasons };
    }
    if (res && ![429, 502, 503, 504].includes(res.status)) {
      const text = await res.text();
      throw new Error(`server refused the batch: HTTP ${res.status} ${text.slice(0, 300)}`);
    }
    // Same Idempotency-Key on every retry: the batch lands once even if an earlier attempt got through.
    const retryAfter = Number(res?.headers.get("retry-after") ?? NaN);
    await sleep(Number.isFinite(retryAfter) ? retryAfter * 1000 : delay);
    delay = Math.min(10_000, delay * 2);
  }
}

async function backfill(file: string, args: string[]) {
  const token = flag(args, "--token");
  if (!token) {
    process.stderr.write("backfill needs --token (create one on the Ingest page as an admin)\n");
    process.exit(2);
  }
  const base = flag(args, "--url") ?? `http://localhost:${env.PORT}`;
  const batchSize = Number(flag(args, "--batch") ?? 20_000);
  if (!Number.isInteger(batchSize) || batchSize < 1) usage();
  const url = new URL("/api/ingest", base).toString();
  const st = fs.statSync(file);
  const fileKey = createHash("sha1")
    .update(`${path.resolve(file)}\0${st.size}\0${st.mtimeMs}`)
    .digest("hex")
    .slice(0, 16);
  const { rl, bytesRead, total } = openLines(file);
  const sum: Counts = { lines: 0, accepted: 0, refused: 0, skipped: 0, reasons: {} };
  const started = Date.now();
  const isTty = process.stderr.isTTY;
  let lastDraw = 0;
  const draw = (final = false) => {
    const now = Date.now();
    if (!final && now - lastDraw < 200) return;
    lastDraw = now;
    const secs = (now - started) / 1000;
    const frac = total > 0 ? Math.min(1, bytesRead() / total) : 0;
    const rate = sum.lines / Math.max(secs, 0.001);
    const eta = frac > 0 ? secs / frac - secs : NaN;
    const width = 30;
    const bar = "#".repeat(Math.round(frac * width)).padEnd(width, ".");
    const text = `[${bar}] ${(frac * 100).toFixed(1).padStart(5)}%  ${sum.lines.toLocaleString("en")} lines  ${Math.round(rate).toLocaleString("en")} lines/s  ETA ${formatDuration(eta)}  refused ${sum.refused}`;
    process.stderr.write(isTty ? `\r${text}` : `${text}\n`);
  };
  let batch: string[] = [];
  let index = 0;
  const inFlight: Promise<void>[] = [];
  const send = async () => {
    if (batch.length === 0) return;
    const lines = batch;
    batch = [];
    const key = `backfill:${fileKey}:${index++}`;
    inFlight.push(
      postBatch(url, token, key, lines).then((r) => {
        sum.lines += r.lines;
        sum.accepted += r.accepted;
        sum.refused += r.refused;
        for (const [k, v] of Object.entries(r.reasons)) sum.reasons[k] = (sum.reasons[k] ?? 0) + v;
        draw();
      }),
    );
    if (inFlight.length >= 2) await inFlight.shift();
  };
  for await (const line of rl) {
    batch.push(line);
    if (batch.length >= batchSize) await send();
  }
  await send();
  await Promise.all(inFlight);
  draw(true);
  const secs = (Date.now() - started) / 1000;
  process.stderr.write(isTty ? "\n" : "");
  process.stdout.write(
    `backfilled ${file}: ${sum.lines} lines in ${secs.toFixed(1)} s (${Math.round(sum.lines / Math.max(secs, 0.001)).toLocaleString("en")} lines/s): ` +
      `${sum.accepted} accepted, ${sum.refused} refused\n`,
  );
  for (const [reason, n] of Object.entries(sum.reasons).sort((a, b) => b[1] - a[1])) process.stdout.write(`  ${reason.padEnd(28)} ${n}\n`);
}

async function main() {
  const [cmd, file, ...rest] = process.argv.slice(2);
  if (!cmd || !file) usage();
  if (!fs.existsSync(file)) {
    process.stderr.write(`no such file: ${file}\n`);
    process.exit(2);
  }
  if (cmd === "check") return check(file, rest.includes("--json"));
  if (cmd === "backfill") return backfill(file, rest);
  usage();
}

main().catch((err) => {
  process.stderr.write(`ingest: ${(err as Error).message}\n`);
  process.exit(1);
});
