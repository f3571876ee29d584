import { describe, expect, it } from "vitest";
import { redactUrlCredentials } from "./redact";

describe("URL credentials", () => {
  it("replaces user and password", () => {
    const shown = redactUrlCredentials("mqtt://ingest:s3cr%40t@broker.example:1883/path");
    expect(shown).toBe("mqtt://***@broker.example:1883/path");
    expect(shown).not.toContain("s3cr");
    expect(redactUrlCredentials("mqtts://onlyuser@broker:8883")).toBe("mqtts://***@broker:8883");
  });

  it("leaves a URL without credentials alone", () => {
    expect(redactUrlCredentials("mqtt://127.0.0.1:1883")).toBe("mqtt://127.0.0.1:1883");
  });

  it("hides the user-info of a URL the parser refuses", () => {
    expect(redactUrlCredentials("mqtt://u:p@[bad")).toBe("mqtt://***@[bad");
  });
});
