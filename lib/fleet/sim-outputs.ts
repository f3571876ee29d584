// Where `npm run simulate` sends audit lines: a file (size-based rotation, the
// old file renamed to .1 as logrotate would), the console's HTTP ingest
// (batched POSTs, an Idempotency-Key per batch, retried with the same key), or
// MQTT (topic ami/<gw>/audit, QoS 1). Each send resolves when the line is safe.
import fs from "node:fs";
import path from "node:path";
import { GATEWAY_ID_PATTERN, METER_ID_PATTERN } from "./ids";

export interface SimOutput {
  name: string;
  send(lines: string[]): Promise<void>;
  close(): Promise<void>;
}

export function createFileOutput(file: string, maxBytes: number): SimOutput {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  let fd = fs.openSync(file, "a");
  let size = fs.fstatSync(fd).size;
  let rotations = 0;
  return {
    name: `file:${file}`,
    async send(lines) {
      const body = Buffer.from(lines.join("\n") + "\n", "utf8");
      if (size > 0 && size + body.length > maxBytes) {
        fs.closeSync(fd);
        fs.renameSync(file, file + ".1");
        fd = fs.openSync(file, "a");
        size = 0;
        rotations++;
      }
      let off = 0;
      while (off < body.length) off += fs.writeSync(fd, body, off);
      size += body.length;
    },
    async close() {
      fs.closeSync(fd);
      void rotations;
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function createHttpOutput(baseUrl: string, token: string, keyPrefix: string, log: (m: string) => void = () => {}): SimOutput {
  const url = baseUrl.replace(/\/+$/, "") + "/api/ingest";
  let batchNo = 0;
  return {
    name: `http:${url}`,
    async send(lines) {
      const key = `${keyPrefix}-${batchNo++}`;
      const body = lines.join("\n") + "\n";
      for (let attempt = 0; ; attempt++) {
        let status = 0;
        let text: string;
        try {
          const res = await fetch(url, {
            method: "POST",
            headers: { authorization: `Bearer ${token}`, "content-type": "text/plain", "idempotency-key": key },
            body,
          });
          status = res.status;
          text = await res.text();
          if (res.ok) return;
          if (status === 401 || status === 403 || status === 400 || status === 413 || status === 415)
            throw new Error(`ingest refused the batch (${status}): ${text.slice(0, 200)}`);
        } catch (err) {
          if (status >= 400 && status < 500 && status !== 429) throw err;
          text = (err as Error).message;
        }
        // 429/5xx/network: the same Idempotency-Key makes the retry land once.
        if (attempt === 0 || attempt % 10 === 0) log(`[simulate] ingest not accepting yet (${status || "network"}: ${text.slice(0, 120)}); retrying`);
        await sleep(Math.min(5000, 250 * 2 ** Math.min(attempt, 5)));
      }
    },
    async close() {},
  };
}

/** The gw= of a logfmt line or "gw" of a JSON line. */
export const GW_IN_LINE = new RegExp(`(?:\\bgw=|"gw":")(${GATEWAY_ID_PATTERN})`);
/** The meter= of a logfmt line or "meter" of a JSON line. */
export const METER_IN_LINE = new RegExp(`(?:meter=|"meter":")(${METER_ID_PATTERN})`);

export async function createMqttOutput(url: string, opts: { clientId: string; gatewayOf?: (line: string) => string | null }): Promise<SimOutput> {
  const mqtt = await import("mqtt");
  const client = await mqtt.connectAsync(url, { clientId: opts.clientId, clean: true, reconnectPeriod: 1000 });
  const gatewayOf = opts.gatewayOf ?? ((line: string) => GW_IN_LINE.exec(line)?.[1] ?? null);
  return {
    name: `mqtt:${url}`,
    async send(lines) {
      await Promise.all(lines.map((line) => client.publishAsync(`ami/${gatewayOf(line) ?? "unknown"}/audit`, line, { qos: 1 })));
    },
    async close() {
      await client.endAsync();
    },
  };
}
