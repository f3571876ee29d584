// MQTT source against the running Mosquitto (mqtt://127.0.0.1:1883) and chDB:
// a message whose batch committed but whose PUBACK never left (the subscriber
// dies in between) is redelivered on reconnect and still stored once.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findStoredAuditIds, findStoredRejectPositions } from "../lib/clickhouse/queries/ingest";
import { MqttSource } from "./mqtt-source";
import { openTestEngine, type TestEngine } from "@/lib/testing/ingest-engine";
import { createIngestWriter } from "./writer";

const URL = "mqtt://127.0.0.1:1883";
let eng: TestEngine;
beforeAll(async () => {
  eng = await openTestEngine();
});
afterAll(async () => {
  await eng.close();
  fs.rmSync(eng.dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const canConnect = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect(port, "127.0.0.1", () => (socket.end(), resolve(true)));
    socket.on("error", () => resolve(false));
  });

describe("mqtt source", () => {
  it("stores a redelivered message once", async () => {
    const run = randomUUID().slice(0, 8);
    const topic = `ami/test-${run}/audit`;
    const clientId = `ami-test-${run}`;
    const writer = createIngestWriter({ sink: eng.sink });
    const lookup = {
      storedIds: (input: { ids: string[]; fromTs: number; toTs: number }) => findStoredAuditIds(input, eng.ch),
      storedRejectPositions: (s: string, p: string[]) => findStoredRejectPositions(s, p, eng.ch),
    };
    let crashed = false;
    const first: MqttSource = new MqttSource({
      url: URL,
      topics: [`ami/test-${run}/+`],
      clientId,
      writer,
      batchRows: 100,
      flushIntervalMs: 50,
      lookup,
      // The crash: rows are committed, the connection dies before any PUBACK.
      afterCommit: async () => {
        crashed = true;
        await first.kill();
      },
    });
    await first.ready();
    const pub = await mqtt.connectAsync(URL, { clientId: `pub-${run}` });
    const msgs = [
      `ts=2026-11-25T03:14:07Z meter=EM-0077001 code=E105 led=amber_steady run=${run} n=1`,
      `ts=2026-11-25T03:14:08Z meter=EM-0077002 code=E001 run=${run} n=2`,
      `ts=2026-11-25T03:14:09Z meter=EM-0077003 code=E999 run=${run} n=3`,
    ];
    for (const m of msgs) await pub.publishAsync(topic, m, { qos: 1 });
    for (let i = 0; i < 100 && !crashed; i++) await sleep(50);
    expect(crashed).toBe(true);
    await sleep(200);
    const count = () => eng.count("audit_log", `attrs['run'] = '${run}'`);
    expect(await count()).toBe(2);

    // Restart with the same clientId: the broker redelivers (DUP) the unacked messages.
    let redelivered = 0;
    const second = new MqttSource({ url: URL, topics: [`ami/test-${run}/+`], clientId, writer, batchRows: 100, flushIntervalMs: 50, lookup, afterCommit: () => void 0 });
    const origWrite = writer.write.bind(writer);
    writer.write = async (b) => {
      redelivered += b.skip?.size ?? 0;
      return origWrite(b);
    };
    await second.ready();
    for (let i = 0; i < 100 && redelivered < 3; i++) await sleep(50);
    expect(redelivered).toBe(3);
    await second.stop();
    expect(await count()).toBe(2);
    expect(await eng.count("ingest_rejects", `position(raw, '${run}') > 0`)).toBe(1);

    // Acked now: a third session gets nothing again.
    const third = new MqttSource({ url: URL, topics: [`ami/test-${run}/+`], clientId, writer, batchRows: 100, flushIntervalMs: 50, lookup });
    await third.ready();
    await sleep(500);
    await third.stop();
    expect(redelivered).toBe(3);
    expect(await count()).toBe(2);
    await pub.endAsync();
    await writer.close();
  });

  it("never shows the broker credentials of MQTT_URL (state on the Ingest page and in the ingest room, log)", async () => {
    const run = randomUUID().slice(0, 8);
    const details: string[] = [];
    const logs: string[] = [];
    const reporter = {
      setState: (_state: string, detail?: string) => void details.push(detail ?? ""),
      recordError: (err: Error) => void details.push(err.message),
    } as unknown as ConstructorParameters<typeof MqttSource>[0]["reporter"];
    const source = new MqttSource({
      url: "mqtt://ingest-user:pa55-s3cret@127.0.0.1:1883",
      topics: [`ami/test-${run}/+`],
      clientId: `ami-test-${run}`,
      writer: createIngestWriter({ sink: eng.sink }),
      batchRows: 10,
      flushIntervalMs: 50,
      reporter,
      log: (m) => void logs.push(m),
    });
    await source.ready();
    await source.stop();
    expect(details.some((d) => d.includes("connected to mqtt://***@127.0.0.1:1883"))).toBe(true);
    expect([...details, ...logs].join("\n")).not.toMatch(/pa55-s3cret|ingest-user/);
  });

  it("signs in to a broker that requires a password with MQTT_USERNAME / MQTT_PASSWORD (outside the URL)", async () => {
    // A broker of its own: password file, no anonymous clients.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ami-mqtt-auth-"));
    const port = 20000 + Math.floor(Math.random() * 20000);
    const passwd = path.join(dir, "passwd");
    fs.writeFileSync(passwd, "");
    expect(spawnSync("mosquitto_passwd", ["-b", passwd, "console", "broker-s3cret"]).status).toBe(0);
    // Started as root, mosquitto reads its files as the mosquitto user.
    fs.chmodSync(dir, 0o755);
    fs.chmodSync(passwd, 0o644);
    fs.writeFileSync(path.join(dir, "mosquitto.conf"), `listener ${port} 127.0.0.1\nallow_anonymous false\npassword_file ${passwd}\npersistence false\n`);
    const broker = spawn("mosquitto", ["-c", path.join(dir, "mosquitto.conf")], { stdio: "ignore" });
    try {
      for (let i = 0; i < 100 && !(await canConnect(port)); i++) await sleep(100);
      const states: string[] = [];
      const reporter = {
        setState: (state: string, detail?: string) => void states.push(`${state} ${detail ?? ""}`),
        recordError: (err: Error) => void states.push(`error ${err.message}`),
      } as unknown as ConstructorParameters<typeof MqttSource>[0]["reporter"];
      const run = randomUUID().slice(0, 8);
      const common = {
        url: `mqtt://127.0.0.1:${port}`,
        topics: [`ami/test-${run}/+`],
        writer: createIngestWriter({ sink: eng.sink }),
        batchRows: 10,
        flushIntervalMs: 50,
        reporter,
      };
      const refused = new MqttSource({ ...common, clientId: `ami-test-bad-${run}`, username: "console", password: "wrong" });
      for (let i = 0; i < 50 && !states.some((s) => /Not authorized|Bad User Name/i.test(s)); i++) await sleep(100);
      await refused.kill();
      expect(states.filter((s) => s.startsWith("error")).join("; ")).toMatch(/Not authorized|Bad User Name or Password/i);
      const source = new MqttSource({ ...common, clientId: `ami-test-ok-${run}`, username: "console", password: "broker-s3cret" });
      await source.ready();
      await source.stop();
      expect(states.some((s) => s === `running connected to mqtt://127.0.0.1:${port}`)).toBe(true);
      expect(states.join("\n")).not.toContain("broker-s3cret");
    } finally {
      broker.kill();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
