import { describe, expect, it } from "vitest";
import type { AuditRecord } from "../lib/audit/record";
import { auditRecord } from "../lib/testing/factories";
import { MeterStateTracker } from "./state-tracker";

const rec = (p: Partial<AuditRecord>): AuditRecord => auditRecord({ ts: 0, gw: "GW-0001", ...p });

describe("MeterStateTracker", () => {
  it("reports LED changes, a new critical fault once, and the return to normal", () => {
    const t = new MeterStateTracker();
    const kinds = (rs: AuditRecord[]) => t.observe(rs).map((c) => `${c.kind}:${c.led}`);
    expect(kinds([rec({ ts: 1, led: "green_steady" })])).toEqual(["led:green_steady"]);
    expect(kinds([rec({ ts: 2, led: "green_steady" })])).toEqual([]);
    expect(kinds([rec({ ts: 3, code: "E001", sev: "critical", led: "red_blinking" })])).toEqual(["led:red_blinking", "critical_fault:red_blinking"]);
    expect(kinds([rec({ ts: 4, code: "E001", sev: "critical" })])).toEqual([]);
    expect(kinds([rec({ ts: 5, code: "E105", sev: "error" })])).toEqual([]);
    expect(kinds([rec({ ts: 6, code: "HEARTBEAT", sev: "debug", led: "green_steady" })])).toEqual(["led:green_steady", "normal:green_steady"]);
  });

  it("ignores lines older than the state it holds", () => {
    const t = new MeterStateTracker();
    t.observe([rec({ ts: 10, led: "green_steady" })]);
    expect(t.observe([rec({ ts: 5, led: "off" })])).toEqual([]);
    expect(t.get("EM-0000001")?.led).toBe("green_steady");
  });

  it("forgets the least recently seen meter past its bound", () => {
    const t = new MeterStateTracker(2);
    t.observe([rec({ meter: "EM-0000001", ts: 1 }), rec({ meter: "EM-0000002", ts: 1 }), rec({ meter: "EM-0000001", ts: 2 }), rec({ meter: "EM-0000003", ts: 1 })]);
    expect(t.size).toBe(2);
    expect(t.get("EM-0000002")).toBeUndefined();
    expect(t.get("EM-0000001")).toBeDefined();
  });
});
