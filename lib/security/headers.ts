// Security headers on every response (set by server.ts before Next handles the
// request). The CSP allows scripts by a per-request nonce: Next reads the nonce
// from the request's Content-Security-Policy header and puts it on its own
// script tags ('strict-dynamic' then admits the chunks they load). The map
// needs MapLibre's workers (blob:), data:/blob: images, WebGL (no directive) and
// the socket.io WebSocket ('self'). frame-ancestors 'none' + X-Frame-Options:
// no page (Approve, Reset password) can be framed for clickjacking.
import { randomBytes } from "node:crypto";

export interface CspOptions {
  nonce: string;
  /** Development: React's dev build evaluates code, HMR uses a WebSocket. */
  dev: boolean;
  /** MAP_TILE_URL, when tiles come from another origin. */
  tileUrl?: string;
}

export function createNonce(): string {
  return randomBytes(16).toString("base64");
}

function originOf(url: string | undefined): string | null {
  if (!url) return null;
  try {
    // Templates like https://tiles.example/{z}/{x}/{y}.png parse once the braces are out.
    return new URL(url.replace(/[{}]/g, "")).origin;
  } catch {
    return null;
  }
}

export function buildCsp({ nonce, dev, tileUrl }: CspOptions): string {
  const tiles = originOf(tileUrl);
  const directives: Record<string, string[]> = {
    "default-src": ["'self'"],
    "script-src": ["'self'", `'nonce-${nonce}'`, "'strict-dynamic'", ...(dev ? ["'unsafe-eval'"] : [])],
    // React renders style attributes in the server HTML; styles cannot run code.
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:", "blob:", ...(tiles ? [tiles] : [])],
    "font-src": ["'self'", "data:"],
    "connect-src": ["'self'", "data:", "blob:", ...(tiles ? [tiles] : []), ...(dev ? ["ws:", "wss:"] : [])],
    "worker-src": ["'self'", "blob:"],
    "child-src": ["'self'", "blob:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
  };
  return Object.entries(directives)
    .map(([k, v]) => `${k} ${v.join(" ")}`)
    .join("; ");
}

/** Response headers for every answer, with the request's CSP. */
export function securityHeaders(csp: string): Record<string, string> {
  return {
    "Content-Security-Policy": csp,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
  };
}
