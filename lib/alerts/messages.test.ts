import { describe, expect, it } from "vitest";
import { buildMessage, formatEmail, formatWebhookBody, type MessageAlert } from "./messages";

const T = Date.UTC(2026, 11, 8, 3, 0, 0);
const alert = (over: Partial<MessageAlert>): MessageAlert => ({
  id: "a1",
  fingerprint: "r1|gateway=GW-1",
  rule: { id: "r1", name: "E105 on a gateway" },
  severity: "warning",
  state: "firing",
  labels: { gateway: "GW-1" },
  summary: "E105 on GW-1: 25 meters",
  value: 25,
  firedAt: new Date(T).toISOString(),
  resolvedAt: null,
  runbookUrl: null,
  url: "http://c/alerts?alert=a1",
  ...over,
});

describe("messages", () => {
  it("alerts fired together: one message, most severe first, titled by count", () => {
    const m = buildMessage("firing", [alert({ id: "a1" }), alert({ id: "a2", severity: "critical", summary: "E105 on GW-2: 40 meters", labels: { gateway: "GW-2" } })], T);
    expect(m.title).toBe("Firing: 2 alerts, E105 on a gateway and others");
    expect(m.alerts.map((a) => a.id)).toEqual(["a2", "a1"]);
    expect(m.sentAt).toBe("2026-12-08T03:00:00.000Z");
  });
  it("a release names the campaign", () => {
    const m = buildMessage("released", [alert({})], T, { id: "c1", name: "FOTA north", url: "http://c/campaigns/c1" });
    expect(m.title).toBe("1 alert released: campaign FOTA north failed its gate");
    expect(m.campaign?.id).toBe("c1");
  });
  it("Teams card is red for a critical alert, green when resolved", () => {
    const crit = formatWebhookBody(buildMessage("firing", [alert({ severity: "critical" })], T), "teams") as { themeColor: string };
    const ok = formatWebhookBody(buildMessage("resolved", [alert({ severity: "critical" })], T), "teams") as { themeColor: string };
    expect([crit.themeColor, ok.themeColor]).toEqual(["D40E0D", "2EB67D"]);
  });
  it("e-mail subject has no line breaks a log line could smuggle in", () => {
    const { subject, text } = formatEmail(buildMessage("firing", [alert({ summary: "x\r\nBcc: evil@example.org" })], T));
    expect(subject).not.toMatch(/[\r\n]/);
    expect(text).toContain("gateway=GW-1");
  });
});
