import { describe, expect, it } from "vitest";
import { findCampaignHold, type CampaignHold } from "./campaign-holds";
import { findSilence, isSilenceMatch, silenceInputSchema } from "./silences";

const NOW = Date.UTC(2026, 11, 8, 3, 0, 0);
const alert = { ruleId: "r1", severity: "warning", labels: { gateway: "GW-0042", signature: "E105" } };

describe("silences", () => {
  const s = { id: "s1", matchers: [{ label: "gateway", value: "GW-0042" }], startsAt: NOW - 1000, endsAt: NOW + 1000 };
  it("match when every matcher equals a label, inside the time range only", () => {
    expect(isSilenceMatch(s, alert, NOW)).toBe(true);
    expect(isSilenceMatch(s, alert, NOW + 1000)).toBe(false);
    expect(isSilenceMatch(s, alert, NOW - 1001)).toBe(false);
    expect(isSilenceMatch({ ...s, matchers: [...s.matchers, { label: "signature", value: "E042" }] }, alert, NOW)).toBe(false);
  });
  it("rule and severity are matchable; values are text, not patterns", () => {
    expect(isSilenceMatch({ ...s, matchers: [{ label: "rule", value: "r1" }] }, alert, NOW)).toBe(true);
    expect(isSilenceMatch({ ...s, matchers: [{ label: "severity", value: "critical" }] }, alert, NOW)).toBe(false);
    expect(isSilenceMatch({ ...s, matchers: [{ label: "gateway", value: "GW-.*" }] }, alert, NOW)).toBe(false);
    expect(findSilence([s], alert, NOW)?.id).toBe("s1");
  });
  it("input: at least one matcher, ends after it starts", () => {
    expect(() => silenceInputSchema.parse({ matchers: [], startsAt: NOW, endsAt: NOW + 1, comment: "x" })).toThrow();
    expect(() => silenceInputSchema.parse({ matchers: [{ label: "gateway", value: "GW-1" }], startsAt: NOW, endsAt: NOW, comment: "x" })).toThrow();
  });
});

describe("campaign holds", () => {
  const hold = (campaignId: string, meters: string[]): CampaignHold => ({
    campaignId,
    campaignName: campaignId,
    index: 0,
    key: `campaign:${campaignId}:0`,
    meters: new Set(meters),
  });
  const holds = [hold("c1", ["m1", "m2", "m3"]), hold("c2", ["m4"])];
  it("holds an alert when at least half of its meters are in a running wave", () => {
    expect(findCampaignHold(holds, ["m1", "m2", "x"], null)?.campaignId).toBe("c1");
    expect(findCampaignHold(holds, ["m1", "x", "y"], null)).toBeNull();
    expect(findCampaignHold(holds, [], null)).toBeNull();
  });
  it("an alert already held stays with its wave while it runs", () => {
    expect(findCampaignHold(holds, ["x"], "campaign:c2:0")?.campaignId).toBe("c2");
    expect(findCampaignHold(holds, ["x"], "campaign:gone:0")).toBeNull();
  });
});
