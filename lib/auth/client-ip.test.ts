import { describe, expect, it } from "vitest";
import { resolveClientIp } from "./client-ip";

describe("client address", () => {
  it("ignores X-Forwarded-For unless a proxy is trusted (a client could forge it)", () => {
    expect(resolveClientIp("::ffff:10.0.0.5", "1.2.3.4", 0)).toBe("10.0.0.5");
  });

  it("behind one trusted proxy, the address the proxy appended is the client", () => {
    // The attacker sends "X-Forwarded-For: 6.6.6.6"; the proxy appends the real peer.
    expect(resolveClientIp("10.0.0.1", "6.6.6.6, 203.0.113.9", 1)).toBe("203.0.113.9");
    expect(resolveClientIp("10.0.0.1", ["6.6.6.6", "203.0.113.9"], 1)).toBe("203.0.113.9");
  });

  it("behind two proxies, the second entry from the right", () => {
    expect(resolveClientIp("10.0.0.1", "6.6.6.6, 203.0.113.9, 10.0.0.2", 2)).toBe("203.0.113.9");
  });

  it("falls back to the socket address without the header", () => {
    expect(resolveClientIp("10.0.0.1", undefined, 1)).toBe("10.0.0.1");
    expect(resolveClientIp("10.0.0.1", " , ", 1)).toBe("10.0.0.1");
  });
});
