// The client address the login throttle and the activity trail use. Behind
// TRUST_PROXY_HOPS reverse proxies, each appends the address it saw to
// X-Forwarded-For: the client is the N-th entry from the right. Entries further
// left were written by the client and prove nothing.

export function resolveClientIp(remoteAddress: string | undefined, forwardedFor: string | string[] | undefined, trustedHops: number): string {
  const socketIp = normalizeIp(remoteAddress ?? "");
  if (trustedHops <= 0 || forwardedFor === undefined) return socketIp;
  const entries = (Array.isArray(forwardedFor) ? forwardedFor.join(",") : forwardedFor)
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (entries.length === 0) return socketIp;
  const pick = entries[Math.max(0, entries.length - trustedHops)]!;
  return normalizeIp(pick);
}

function normalizeIp(ip: string): string {
  return ip.replace(/^::ffff:/, "").slice(0, 64);
}
