import { describe, expect, it } from "vitest";
import { defaultCampaignName, describeTargetQuery } from "./target-text";

describe("describeTargetQuery", () => {
  it("uses the words of the faults page for a gateway and a fault", () => {
    expect(describeTargetQuery({ gw: "GW-0042", fault: "E105", days: 1 })).toBe("meters behind GW-0042 with E105 in the last 24 h");
    expect(describeTargetQuery({ kind: "gas", zone: "hot-dry", fault: "E105" })).toBe("gas meters in climate zone hot-dry with E105 in the last 7 days");
  });
  it("says LED states and lists", () => {
    expect(describeTargetQuery({ led: "amber_steady" })).toBe("meters in the fleet with LED amber_steady now");
    expect(describeTargetQuery({ meters: ["EM-0000001", "EM-0000002"] })).toBe("listed meters (2 ids) that the fleet knows");
  });
});

describe("defaultCampaignName", () => {
  it("names a prefilled campaign the same way from every page: the job's label and the target", () => {
    expect(defaultCampaignName("rf_analysis", { gw: "GW-0042", fault: "E105", days: 1 })).toBe("RF analysis of meters behind GW-0042 with E105 in the last 24 h");
    expect(defaultCampaignName("rf_analysis", { gw: "GW-0042" })).toBe("RF analysis of meters behind GW-0042");
    expect(defaultCampaignName("rf_analysis", { meters: ["EM-0000613"] })).toBe("RF analysis of EM-0000613");
    expect(defaultCampaignName("x".repeat(10), { zone: "z".repeat(200) }).length).toBeLessThanOrEqual(120);
  });
});
