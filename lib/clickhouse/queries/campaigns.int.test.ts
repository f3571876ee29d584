import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditRecord } from "@/lib/audit/record";
import { toAuditLogRow } from "../audit-rows";
import { createClickHouse, type ClickHouse } from "../client";
import { runClickHouseMigrations } from "../migrate";
import { getCampaignTimeline, getWavesHealth, type WaveHealthInput } from "./campaigns";
import { auditRecord } from "@/lib/testing/factories";

// A wave's health after its soak: the campaign's own step lines are not read (their outcomes
// come from PostgreSQL as `own`), every other line of its meters is.
const START = Date.UTC(2026, 10, 24, 2, 0, 0);
const NOW = START + 30 * 60_000;
const CAMPAIGN = "cmp-health";
const PAIR = { metrology: "2.4.0", comms: "5.1.0" };

let dir = "";
let ch: ClickHouse;
let position = 0;

function line(partial: Partial<AuditRecord>) {
  return toAuditLogRow(auditRecord({ ts: START, meter: "", gw: "GW-1", source_app: "test", ...partial }), { source: "waves-health", position: position++ });
}

const own = (answered: string[], more: Partial<WaveHealthInput["own"]> = {}) => ({ answered, onTarget: [], mismatched: [], ...more });

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "waves-health-"));
  ch = await createClickHouse({ path: path.join(dir, "ch"), database: "ami", queryTimeoutMs: 30_000 });
  await runClickHouseMigrations(ch);
  const rows = [
    // fw_verify wave V1..V4: the campaign's own step lines (the dispatcher's and the head-end's)
    // say things PostgreSQL already knows; none of them may count.
    line({ ts: START + 1000, meter: "V1", code: "STEP_OK", job: CAMPAIGN, step: "fw_verify", result: "ok" }),
    line({ ts: START + 1000, meter: "V4", code: "STEP_OK", job: CAMPAIGN, step: "fw_verify", result: "ok" }),
    line({ ts: START + 2000, meter: "V2", code: "E105", sev: "error", job: CAMPAIGN, step: "fw_verify", result: "fail" }),
    line({ ts: START + 2000, meter: "V3", code: "FW_HASH_MISMATCH", sev: "error", job: CAMPAIGN, step: "fw_verify", result: "fail" }),
    // Other lines of the same meters: V2 heard from again after the start; V3 a mismatch seen by
    // another campaign's step; an E105 rise (two after, one before as baseline), and an IPC_ERROR
    // of V1 from the head-end before the wave (baseline only). Lines outside the windows are left out.
    line({ ts: START + 5 * 60_000, meter: "V2", code: "HEARTBEAT" }),
    line({ ts: START + 6 * 60_000, meter: "V1", code: "E105", sev: "error" }),
    line({ ts: START + 7 * 60_000, meter: "V1", code: "E105", sev: "error", job: "other-campaign", step: "fw_verify" }),
    line({ ts: START - 10 * 60_000, meter: "V2", code: "E105", sev: "error" }),
    line({ ts: START - 20 * 60_000, meter: "V1", code: "IPC_ERROR", sev: "error" }),
    line({ ts: START - 3 * 3600_000, meter: "V1", code: "E105", sev: "error" }),
    line({ ts: NOW + 60_000, meter: "V4", code: "E105", sev: "error" }),
    line({ ts: START + 8 * 60_000, meter: "V4", code: "FW_HASH_MISMATCH", sev: "error", job: "other-campaign", step: "fw_verify" }),
    // fota wave F1..F3: F1 answered the target pair; F2's answer did not carry it, but a later
    // heartbeat reports it; F3 reports the pair in a line of its own, then a hash mismatch.
    line({ ts: START + 1000, meter: "F2", code: "STEP_OK", job: CAMPAIGN, step: "fota", result: "ok", fw_metrology: PAIR.metrology, fw_comms: PAIR.comms }),
    line({ ts: START + 9 * 60_000, meter: "F2", code: "HEARTBEAT", fw_metrology: PAIR.metrology, fw_comms: PAIR.comms }),
    line({ ts: START + 9 * 60_000, meter: "F3", code: "HEARTBEAT", fw_metrology: PAIR.metrology, fw_comms: PAIR.comms }),
    line({ ts: START + 10 * 60_000, meter: "F3", code: "FW_HASH_MISMATCH", sev: "error" }),
  ];
  await ch.insertRows({ table: "audit_log", values: rows as unknown as Record<string, unknown>[] });
});

afterAll(async () => {
  await ch?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("getWavesHealth", () => {
  it("counts a meter seen when it answered its step or has another line since the wave started, never by its own step lines", async () => {
    const [v] = await getWavesHealth(
      [{ campaignId: CAMPAIGN, step: "fw_verify", meters: ["V1", "V2", "V3", "V4"], from: START, to: NOW, own: own(["V1"], { mismatched: ["V3"] }) }],
      ch,
    );
    // V1 answered; V2 has a heartbeat; V4 answered another campaign's step. V3 has only its own
    // failed step line, so it is not seen (nor would V4 be by its own STEP_OK line alone).
    expect(v!.reRegistered).toBe(3);
    // Seen and without a mismatch from either source: V1 and V2 (V4 is seen but mismatched elsewhere).
    expect(v!.hashMatches).toBe(2);
    // Own E105 (V2's failed step) is a per-meter outcome, not a new fault; the head-end's and the
    // other campaign's E105 of V1 are, against one E105 in the baseline span before the start.
    expect(v!.newFaults.E105).toEqual({ count: 2, baseline: 1 });
    expect(v!.newFaults.IPC_ERROR).toEqual({ count: 0, baseline: 1 });
    expect(v!.newFaults.LAST_GASP).toEqual({ count: 0, baseline: 0 });
  });

  it("judges a fota wave by the pair each meter reports, from its answer or its later lines, less mismatches", async () => {
    const [f] = await getWavesHealth(
      [{ campaignId: CAMPAIGN, step: "fota", meters: ["F1", "F2", "F3"], from: START, to: NOW, targetFirmware: PAIR, own: own(["F1", "F2"], { onTarget: ["F1"] }) }],
      ch,
    );
    expect(f!.reRegistered).toBe(3);
    // F1 by its answer, F2 by its heartbeat; F3 reports the pair but then a hash mismatch.
    expect(f!.hashMatches).toBe(2);
  });

  it("answers several waves in one scan, each with its own window and its own step lines", async () => {
    const [v, f] = await getWavesHealth(
      [
        { campaignId: CAMPAIGN, step: "fw_verify", meters: ["V1", "V2"], from: START + 5.5 * 60_000, to: NOW, own: own([]) },
        { campaignId: CAMPAIGN, step: "fota", meters: ["F2", "F3"], from: START, to: NOW, targetFirmware: PAIR, own: own([]) },
      ],
      ch,
    );
    // A later start leaves V2's heartbeat (5 min) before the window: only V1's E105 lines (6 and 7 min) are after.
    expect(v!.reRegistered).toBe(1);
    expect(v!.newFaults.E105).toEqual({ count: 2, baseline: 1 });
    expect(f!.reRegistered).toBe(2);
    expect(f!.hashMatches).toBe(1);
    // Without a target pair or a hash step, there is no hash figure.
    const [plain] = await getWavesHealth([{ campaignId: CAMPAIGN, step: "comms_reset", meters: ["V1"], from: START, to: NOW, own: own(["V1"]) }], ch);
    expect(plain!.hashMatches).toBeNull();
    expect(plain!.reRegistered).toBe(1);
  });
});

describe("getCampaignTimeline", () => {
  it("counts the campaign's step outcomes per bucket, its own lines only, inside the window", async () => {
    const T = Date.UTC(2026, 10, 25, 10, 0, 0);
    const job = "cmp-timeline";
    await ch.insertRows({
      table: "audit_log",
      values: [
        line({ ts: T + 5_000, meter: "T1", code: "STEP_OK", job, step: "comms_reset", result: "ok" }),
        line({ ts: T + 50_000, meter: "T2", code: "STEP_OK", job, step: "comms_reset", result: "ok" }),
        line({ ts: T + 55_000, meter: "T3", code: "E105", sev: "error", job, step: "comms_reset", result: "fail" }),
        line({ ts: T + 61_000, meter: "T4", code: "HES_TIMEOUT", sev: "error", job, step: "comms_reset", result: "timeout" }),
        line({ ts: T + 62_000, meter: "T5", code: "FW_HASH_MISMATCH", sev: "error", job, step: "comms_reset", result: "skipped" }),
        line({ ts: T + 3 * 60_000, meter: "T6", code: "STEP_OK", job, step: "comms_reset", result: "ok" }),
        // A finding of the step (given as one below): "fail" as logged, counted as found.
        line({ ts: T + 3 * 60_000 + 1, meter: "T8", code: "LOW_SNR", sev: "warn", job, step: "comms_reset", result: "fail" }),
        // Not counted: another campaign, a line of the meter without a step result, a line after the first window.
        line({ ts: T + 10_000, meter: "T1", code: "STEP_OK", job: "cmp-other", step: "comms_reset", result: "ok" }),
        line({ ts: T + 20_000, meter: "T1", code: "HEARTBEAT", job }),
        line({ ts: T + 30 * 60_000, meter: "T7", code: "STEP_OK", job, step: "comms_reset", result: "ok" }),
      ] as unknown as Record<string, unknown>[],
    });
    const tl = await getCampaignTimeline({ campaignId: job, from: T, to: T + 10 * 60_000, findingCodes: ["LOW_SNR"] }, ch);
    expect(tl.bucketSeconds).toBe(60);
    expect(tl.points).toEqual([
      { t: T, ok: 2, found: 0, failed: 1, refused: 0 },
      { t: T + 60_000, ok: 0, found: 0, failed: 1, refused: 1 },
      { t: T + 3 * 60_000, ok: 1, found: 1, failed: 0, refused: 0 },
    ]);
    // Without finding codes (a step that finds nothing), the same line is a failure.
    const plain = await getCampaignTimeline({ campaignId: job, from: T, to: T + 10 * 60_000 }, ch);
    expect(plain.points.at(-1)).toEqual({ t: T + 3 * 60_000, ok: 1, found: 0, failed: 1, refused: 0 });
    // A longer span takes wider buckets: the first lines in one, the later one (now inside) in the next.
    const wide = await getCampaignTimeline({ campaignId: job, from: T, to: T + 20 * 3600_000, findingCodes: ["LOW_SNR"] }, ch);
    expect(wide.bucketSeconds).toBe(1800);
    expect(wide.points).toEqual([
      { t: T, ok: 3, found: 1, failed: 2, refused: 1 },
      { t: T + 30 * 60_000, ok: 1, found: 0, failed: 0, refused: 0 },
    ]);
  });
});
