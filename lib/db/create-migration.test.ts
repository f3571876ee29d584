import { describe, expect, it } from "vitest";
import { formatMigrationName } from "./create-migration";

describe("formatMigrationName", () => {
  const now = new Date("2031-07-08T09:10:11.999Z");

  it("prefixes a UTC timestamp and snake-cases the name", () => {
    expect(formatMigrationName("add_campaigns", now)).toBe("20310708091011_add_campaigns");
    expect(formatMigrationName("  Add Campaign-Steps!! ", now)).toBe("20310708091011_add_campaign_steps");
  });

  it("rejects a name without letters or digits", () => {
    expect(() => formatMigrationName("--!!", now)).toThrow(/no letters or digits/);
  });
});
