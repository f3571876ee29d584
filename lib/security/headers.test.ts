import { describe, expect, it } from "vitest";
import { buildCsp, createNonce, securityHeaders } from "./headers";

const directive = (csp: string, name: string) =>
  csp
    .split("; ")
    .find((d) => d.startsWith(name + " "))
    ?.slice(name.length + 1)
    .split(" ") ?? null;

describe("content security policy", () => {
  it("forbids framing and allows scripts only by the request's nonce", () => {
    const csp = buildCsp({ nonce: "abc123", dev: false });
    expect(directive(csp, "frame-ancestors")).toEqual(["'none'"]);
    expect(directive(csp, "script-src")).toEqual(["'self'", "'nonce-abc123'", "'strict-dynamic'"]);
    expect(directive(csp, "object-src")).toEqual(["'none'"]);
    expect(csp).not.toContain("unsafe-eval");
    expect(securityHeaders(csp)["X-Frame-Options"]).toBe("DENY");
  });

  it("lets the map run: workers from blob:, data: and blob: images", () => {
    const csp = buildCsp({ nonce: "n", dev: false });
    expect(directive(csp, "worker-src")).toContain("blob:");
    expect(directive(csp, "img-src")).toEqual(expect.arrayContaining(["data:", "blob:"]));
  });

  it("adds the tile server's origin when MAP_TILE_URL points elsewhere", () => {
    const csp = buildCsp({ nonce: "n", dev: false, tileUrl: "https://tiles.example/{z}/{x}/{y}.png" });
    expect(directive(csp, "img-src")).toContain("https://tiles.example");
    expect(directive(csp, "connect-src")).toContain("https://tiles.example");
  });

  it("development allows eval (React dev build) and the HMR socket", () => {
    const csp = buildCsp({ nonce: "n", dev: true });
    expect(directive(csp, "script-src")).toContain("'unsafe-eval'");
  });

  it("a nonce is fresh each time", () => {
    expect(createNonce()).not.toBe(createNonce());
    expect(createNonce()).toMatch(/^[A-Za-z0-9+/]{22}==$/);
  });
});
