import { describe, expect, it } from "vitest";
import { escapeTsv, hash64, rejectRowTsv } from "./rows";

describe("ingest rows", () => {
  it("hash64 is stable, 64-bit decimal and spreads nearby keys", () => {
    expect(hash64("file:/a#1-x:0")).toBe(hash64("file:/a#1-x:0"));
    const ids = new Set(Array.from({ length: 20_000 }, (_, i) => hash64(`file:/a#1-x:${i * 180}`)));
    expect(ids.size).toBe(20_000);
    for (const id of [...ids].slice(0, 100)) {
      expect(id).toMatch(/^\d{1,20}$/);
      expect(BigInt(id) < 2n ** 64n).toBe(true);
    }
  });

  it("escapes TSV control characters so a raw line stays one field", () => {
    expect(escapeTsv("a\tb\nc\\d\re")).toBe("a\\tb\\nc\\\\d\\re");
    expect(rejectRowTsv(1, "s", "7", "malformed", "x\ty")).toBe("1\ts\t7\tmalformed\tx\\ty\n");
  });
});
