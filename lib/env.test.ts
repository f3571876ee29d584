import { describe, expect, it } from "vitest";
import { EnvError, parseEnv } from "./env";

describe("env parsing", () => {
  it("applies defaults for an empty environment", () => {
    const e = parseEnv({});
    expect(e.PORT).toBe(3000);
    expect(e.DATA_DIR).toBe("data");
    expect(e.DATABASE_URL).toBeUndefined();
    expect(e.CLICKHOUSE_URL).toBeUndefined();
    expect(e.INGEST_FILES).toEqual(["/var/log/ami/maintenance_audit.log"]);
    expect(e.MQTT_TOPICS).toEqual(["ami/+/audit", "ami/+/led"]);
    expect(e.STALE_AFTER).toBe(24 * 3600 * 1000);
    expect(e.AMI_DEMO).toBe(false);
  });

  it("parses durations, lists and booleans", () => {
    const e = parseEnv({ INGEST_FLUSH_INTERVAL: "250ms", STALE_AFTER: "2h", INGEST_FILES: "/a.log, /b.log,", AMI_DEMO: "1" });
    expect(e.INGEST_FLUSH_INTERVAL).toBe(250);
    expect(e.STALE_AFTER).toBe(7_200_000);
    expect(e.INGEST_FILES).toEqual(["/a.log", "/b.log"]);
    expect(e.AMI_DEMO).toBe(true);
    expect(parseEnv({ INGEST_FILES: "/var/log/ami/*.log,/x/y.log", INGEST_ROTATED_GLOBS: "{name}.old.*" })).toMatchObject({
      INGEST_FILES: ["/var/log/ami/*.log", "/x/y.log"],
      INGEST_ROTATED_GLOBS: ["{name}.old.*"],
    });
  });

  it("accepts real-server URLs", () => {
    const e = parseEnv({ DATABASE_URL: "postgres://u@127.0.0.1:5432/test", CLICKHOUSE_URL: "http://127.0.0.1:8123", MQTT_URL: "mqtt://127.0.0.1:1883" });
    expect(e.DATABASE_URL).toContain("127.0.0.1");
    expect(e.CLICKHOUSE_URL).toBe("http://127.0.0.1:8123");
  });

  it.each([
    ["PORT", "70000"],
    ["PORT", "abc"],
    ["DATABASE_URL", "mysql://x"],
    ["CLICKHOUSE_URL", "127.0.0.1:8123"],
    ["STALE_AFTER", "ten minutes"],
    ["NEXTAUTH_SECRET", "short"],
    ["HES_ADAPTER", "carrier-pigeon"],
    ["CLICKHOUSE_DATABASE", "ami; DROP"],
    ["INGEST_FILES", "/var/log/*/audit.log"],
  ])("a bad %s (%s) stops start-up with a message naming it", (name, value) => {
    let err: unknown;
    try {
      parseEnv({ [name]: value });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EnvError);
    expect((err as EnvError).issues.map((i) => i.variable)).toContain(name);
    expect((err as Error).message).toContain(name);
  });
});
