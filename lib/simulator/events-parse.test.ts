import { describe, expect, it } from "vitest";
import { parseLine } from "@/ingest/parse";
import { createEventStream } from "./events";
import { generateFleet } from "./fleet";

// The simulator's output must be accepted whole by the product parser (ingest/parse.ts).
describe("generated lines through the ingest parser", () => {
  it("accepts all of 100 000 default-stream lines with the event time and code intact", () => {
    const start = Date.UTC(2026, 10, 25, 12);
    const fleet = generateFleet({ meters: 20_000, seed: "ami-demo", now: start });
    const stream = createEventStream({ fleet, seed: 9, start, ratePerSec: 500 });
    const refused: string[] = [];
    let withRecv = 0;
    let codeMismatch = 0;
    for (let k = 0; k < 100_000; k++) {
      const { ts, line } = stream.next().value;
      const r = parseLine(line, { now: ts + 1000 });
      if (r.ok !== true) {
        refused.push(`${r.ok === false ? r.reason : "skip"}: ${line}`);
        continue;
      }
      // Epoch-seconds lines lose the milliseconds; everything else is exact.
      if (Math.abs(r.record.ts - ts) >= 1000 || !line.includes(r.record.code)) codeMismatch++;
      if (r.record.recv_ts !== null) withRecv++;
    }
    expect(refused.slice(0, 5)).toEqual([]);
    expect(codeMismatch).toBe(0);
    expect(withRecv).toBeGreaterThan(30_000);
  });
});
