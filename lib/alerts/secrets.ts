// Channel secrets stored in the database: AES-256-GCM under a key from ALERTS_SECRET_KEY (or,
// unset, derived from NEXTAUTH_SECRET), as "v1:<iv>:<tag>:<ciphertext>" in base64url. A
// secret is never sent back to a browser; the UI shows only whether one is set.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { env, readAlertSecretEnv } from "@/lib/env";

function key(): Buffer {
  const material = env.ALERTS_SECRET_KEY ?? env.NEXTAUTH_SECRET;
  if (!material) throw new Error("No key for channel secrets: set ALERTS_SECRET_KEY or NEXTAUTH_SECRET");
  return Buffer.from(hkdfSync("sha256", material, "ami-alert-channels", "aes-256-gcm", 32));
}

export function encryptSecret(plain: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv("aes-256-gcm", key(), iv);
  const data = Buffer.concat([c.update(plain, "utf8"), c.final()]);
  return ["v1", iv.toString("base64url"), c.getAuthTag().toString("base64url"), data.toString("base64url")].join(":");
}

export function decryptSecret(stored: string): string {
  const [v, iv, tag, data] = stored.split(":");
  if (v !== "v1" || !iv || !tag || data === undefined) throw new Error("Unreadable channel secret");
  const d = createDecipheriv("aes-256-gcm", key(), Buffer.from(iv, "base64url"));
  d.setAuthTag(Buffer.from(tag, "base64url"));
  return Buffer.concat([d.update(Buffer.from(data, "base64url")), d.final()]).toString("utf8");
}

/** A secret given either by env name or stored encrypted; undefined when neither is set. */
export function resolveSecret(ref: { env?: string | null; enc?: string | null }): string | undefined {
  if (ref.env) {
    const v = readAlertSecretEnv(ref.env);
    if (v === undefined) throw new Error(`Environment variable ${ref.env} is not set (or not an AMI_ALERT_* name)`);
    return v;
  }
  return ref.enc ? decryptSecret(ref.enc) : undefined;
}
