// Notification channels: their configuration (zod) and how a message goes out on each.
// Webhook: POST of the JSON body (lib/alerts/messages.ts) or its Slack/Teams form, with an
// optional HMAC-SHA256 signature. Email: SMTP through nodemailer. Console: the bell only
// (socket.io, pushed by the evaluator), so "sending" it is a no-op that succeeds.
import { createHmac } from "node:crypto";
import nodemailer from "nodemailer";
import { z } from "zod";
import { ALERT_SECRET_ENV_PATTERN } from "@/lib/env";
import { formatEmail, formatWebhookBody, WEBHOOK_FORMATS, type AlertMessage } from "./messages";
import { resolveSecret } from "./secrets";

export const CHANNEL_KINDS = ["webhook", "email", "console"] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

const secretEnvName = z.string().regex(ALERT_SECRET_ENV_PATTERN, "an environment variable named AMI_ALERT_…").nullable().default(null);

export const webhookConfigSchema = z.object({
  url: z
    .string()
    .url()
    .refine((u) => /^https?:\/\//.test(u), "an http(s) URL"),
  format: z.enum(WEBHOOK_FORMATS).default("json"),
  /** HMAC key: by env name, or stored encrypted (never both). */
  secretEnv: secretEnvName,
  secretEnc: z.string().nullable().default(null),
});

export const emailConfigSchema = z.object({
  host: z.string().min(1).max(255),
  port: z.number().int().min(1).max(65535).default(587),
  /** none: plain; starttls: upgrade required; tls: TLS from the first byte (465). */
  tls: z.enum(["none", "starttls", "tls"]).default("starttls"),
  user: z.string().max(255).nullable().default(null),
  passwordEnv: secretEnvName,
  passwordEnc: z.string().nullable().default(null),
  from: z.string().email(),
  to: z.array(z.string().email()).min(1).max(50),
});

export const channelConfigSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("webhook"), config: webhookConfigSchema }),
  z.object({ kind: z.literal("email"), config: emailConfigSchema }),
  z.object({ kind: z.literal("console"), config: z.object({}).default({}) }),
]);
export type ChannelConfig = z.infer<typeof channelConfigSchema>;

export interface SendOutcome {
  ok: boolean;
  status?: number;
  error?: string;
  /** Worth trying again (network error, 5xx, 408, 429, SMTP 4xx). */
  isRetryable: boolean;
}

export const SEND_TIMEOUT_MS = 10_000;

export const SIGNATURE_HEADER = "x-ami-signature";
export const TIMESTAMP_HEADER = "x-ami-timestamp";

/** The signature a receiver recomputes: HMAC-SHA256 over "<timestamp>.<body>". */
export function signBody(secret: string, timestamp: string, body: string): string {
  return "sha256=" + createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex");
}

export async function sendToChannel(channel: ChannelConfig, message: AlertMessage, now: number): Promise<SendOutcome> {
  try {
    if (channel.kind === "console") return { ok: true, isRetryable: false };
    if (channel.kind === "webhook") return await sendWebhook(channel.config as z.infer<typeof webhookConfigSchema>, message, now);
    return await sendEmail(channel.config as z.infer<typeof emailConfigSchema>, message);
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message.split("\n")[0]!.slice(0, 300) : String(err), isRetryable: true };
  }
}

async function sendWebhook(config: z.infer<typeof webhookConfigSchema>, message: AlertMessage, now: number): Promise<SendOutcome> {
  const body = JSON.stringify(formatWebhookBody(message, config.format));
  const headers: Record<string, string> = { "content-type": "application/json", "user-agent": "ami-console-alerts/1" };
  const secret = resolveSecret({ env: config.secretEnv, enc: config.secretEnc });
  if (secret) {
    const ts = String(now);
    headers[TIMESTAMP_HEADER] = ts;
    headers[SIGNATURE_HEADER] = signBody(secret, ts, body);
  }
  const res = await fetch(config.url, { method: "POST", headers, body, signal: AbortSignal.timeout(SEND_TIMEOUT_MS), redirect: "error" });
  await res.arrayBuffer().catch(() => undefined);
  if (res.ok) return { ok: true, status: res.status, isRetryable: false };
  return { ok: false, status: res.status, error: `HTTP ${res.status}`, isRetryable: res.status >= 500 || res.status === 408 || res.status === 429 };
}

async function sendEmail(config: z.infer<typeof emailConfigSchema>, message: AlertMessage): Promise<SendOutcome> {
  const password = resolveSecret({ env: config.passwordEnv, enc: config.passwordEnc });
  const transport = nodemailer.createTransport({
    host: config.host,
    port: config.port,
    secure: config.tls === "tls",
    requireTLS: config.tls === "starttls",
    ignoreTLS: config.tls === "none",
    auth: config.user ? { user: config.user, pass: password ?? "" } : undefined,
    connectionTimeout: SEND_TIMEOUT_MS,
    greetingTimeout: SEND_TIMEOUT_MS,
    socketTimeout: SEND_TIMEOUT_MS,
  });
  try {
    const { subject, text } = formatEmail(message);
    await transport.sendMail({ from: config.from, to: config.to, subject, text });
    return { ok: true, isRetryable: false };
  } catch (err) {
    const code = (err as { responseCode?: number }).responseCode;
    return { ok: false, status: code, error: err instanceof Error ? err.message.split("\n")[0]!.slice(0, 300) : String(err), isRetryable: code === undefined || code < 500 };
  } finally {
    transport.close();
  }
}
