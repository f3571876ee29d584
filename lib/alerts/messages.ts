// What a notification says, as data, and its three wire formats. Pure.
//
// The JSON body of a "json" webhook (version 1):
//   { version: 1, kind: "firing" | "resolved" | "released" | "test", title, sentAt (ISO),
//     alerts: [{ id, fingerprint, rule: { id, name }, severity, state, labels, summary, value,
//                firedAt, resolvedAt, runbookUrl, url }],
//     campaign?: { id, name, url } }
// With a secret, the request carries X-AMI-Signature: sha256=<hex HMAC-SHA256 of "<ts>.<body>">
// and X-AMI-Timestamp (ms); receivers check both (a replayed body has an old timestamp).
// "slack" sends { text, blocks } (Slack incoming webhooks); "teams" a MessageCard.

export const MESSAGE_KINDS = ["firing", "resolved", "released", "test"] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];
export const WEBHOOK_FORMATS = ["json", "slack", "teams"] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

export interface MessageAlert {
  id: string;
  fingerprint: string;
  rule: { id: string; name: string };
  severity: string;
  state: string;
  labels: Record<string, string>;
  summary: string;
  value: number;
  firedAt: string | null;
  resolvedAt: string | null;
  runbookUrl: string | null;
  url: string;
}

export interface AlertMessage {
  version: 1;
  kind: MessageKind;
  title: string;
  sentAt: string;
  alerts: MessageAlert[];
  campaign?: { id: string; name: string; url: string };
}

const SEVERITY_RANK: Record<string, number> = { critical: 0, warning: 1, info: 2 };

export function buildTitle(kind: MessageKind, alerts: MessageAlert[], campaign?: { name: string }): string {
  if (kind === "test") return "Test notification from the AMI console";
  if (kind === "released") return `${alerts.length} alert${alerts.length === 1 ? "" : "s"} released: campaign ${campaign?.name ?? ""} failed its gate`.trim();
  const first = alerts[0];
  const verb = kind === "firing" ? "Firing" : "Resolved";
  if (alerts.length === 1 && first) return `${verb}: ${first.rule.name} (${first.summary})`;
  return `${verb}: ${alerts.length} alerts${first ? `, ${first.rule.name} and others` : ""}`;
}

/** One message for alerts fired (or resolved) together; most severe first. */
export function buildMessage(kind: MessageKind, alerts: MessageAlert[], now: number, campaign?: AlertMessage["campaign"]): AlertMessage {
  const sorted = [...alerts].sort((a, b) => (SEVERITY_RANK[a.severity] ?? 9) - (SEVERITY_RANK[b.severity] ?? 9) || a.summary.localeCompare(b.summary));
  return { version: 1, kind, title: buildTitle(kind, sorted, campaign), sentAt: new Date(now).toISOString(), alerts: sorted, ...(campaign ? { campaign } : {}) };
}

function lineOf(a: MessageAlert): string {
  return `[${a.severity}] ${a.rule.name}: ${a.summary}`;
}

/** The request body for a webhook channel. Texts go out as data, never as markup we interpret. */
export function formatWebhookBody(message: AlertMessage, format: WebhookFormat): unknown {
  if (format === "json") return message;
  const lines = message.alerts.map(lineOf);
  if (format === "slack") {
    return {
      text: message.title,
      blocks: [
        { type: "header", text: { type: "plain_text", text: message.title.slice(0, 150) } },
        ...message.alerts.slice(0, 40).map((a) => ({
          type: "section",
          text: { type: "plain_text", text: lineOf(a).slice(0, 2900) },
        })),
        ...(message.alerts.length > 40 ? [{ type: "context", elements: [{ type: "plain_text", text: `and ${message.alerts.length - 40} more` }] }] : []),
      ],
    };
  }
  return {
    "@type": "MessageCard",
    "@context": "https://schema.org/extensions",
    summary: message.title,
    title: message.title,
    themeColor: message.kind === "resolved" ? "2EB67D" : message.alerts.some((a) => a.severity === "critical") ? "D40E0D" : "E8912D",
    sections: [{ text: lines.join("\n\n") }],
    potentialAction: message.alerts.slice(0, 5).map((a) => ({ "@type": "OpenUri", name: `Open ${a.rule.name}`, targets: [{ os: "default", uri: a.url }] })),
  };
}

/** Plain-text e-mail: subject and body. */
export function formatEmail(message: AlertMessage): { subject: string; text: string } {
  const body = [
    message.title,
    "",
    ...message.alerts.flatMap((a) => [
      lineOf(a),
      `  ${Object.entries(a.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(" ")}`,
      ...(a.firedAt ? [`  fired ${a.firedAt}`] : []),
      ...(a.resolvedAt ? [`  resolved ${a.resolvedAt}`] : []),
      ...(a.runbookUrl ? [`  runbook ${a.runbookUrl}`] : []),
      `  ${a.url}`,
      "",
    ]),
    ...(message.campaign ? [`Campaign: ${message.campaign.name} ${message.campaign.url}`] : []),
  ];
  return { subject: `[AMI] ${message.title}`.replace(/[\r\n]+/g, " ").slice(0, 200), text: body.join("\n") };
}
