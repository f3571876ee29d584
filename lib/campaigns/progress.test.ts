import { describe, expect, it } from "vitest";
import { progressPct } from "./progress";

describe("progressPct", () => {
  it("leaves meters preflight excluded at start out: a campaign that has sent nothing is at 0 %", () => {
    // 13 958 matched, 2 605 excluded by preflight, 11 353 scheduled and still pending.
    expect(progressPct({ pending: 11_353, excluded: 2_605 }, 11_353)).toBe(0);
  });

  it("counts succeeded, failed, skipped and meters excluded during the run as settled", () => {
    // 100 scheduled (+20 excluded at start): 40 ok, 5 failed, 10 skipped, 5 excluded after their retries, 40 to do.
    expect(progressPct({ excluded: 25, succeeded: 40, failed: 5, skipped: 10, pending: 30, sent: 10 }, 100)).toBe(60);
    expect(progressPct({ excluded: 20, succeeded: 100 }, 100)).toBe(100);
  });

  it("is 0 for a draft (nothing scheduled yet)", () => {
    expect(progressPct({}, 0)).toBe(0);
  });
});
