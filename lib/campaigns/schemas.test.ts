import { describe, expect, it } from "vitest";
import { parseNewCampaignParams } from "./schemas";

describe("parseNewCampaignParams", () => {
  it("maps the map/fault drawer's URL onto a target query and a job type", () => {
    const r = parseNewCampaignParams({ jobType: "fota", gw: "GW-0042", fault: "E105", days: "3", kind: "electric", fw: "3.4.1/6.1.0", led: "red_blinking", meter: "EM-0000042" });
    expect(r).toEqual({
      jobType: "fota",
      query: { gw: "GW-0042", fault: "E105", days: 3, kind: "electric", fw: "3.4.1/6.1.0", led: "red_blinking", meters: ["EM-0000042"] },
      ignored: [],
    });
  });

  it("drops invalid values one by one and names them, keeping the valid rest", () => {
    const r = parseNewCampaignParams({ jobType: "reboot", gw: "GW 1; DROP", days: "500", led: "purple", meter: "not-a-meter", zone: "North" });
    expect(r.jobType).toBeNull();
    expect(r.query).toEqual({ zone: "North" });
    expect(r.ignored.sort()).toEqual(["days", "gw", "jobType", "led", "meter"]);
  });

  it("takes the first of repeated params, trims, and treats empty as absent", () => {
    const r = parseNewCampaignParams({ gw: ["GW-1", "GW-2"], zone: "  ", model: " X200 ", jobType: "" });
    expect(r).toEqual({ jobType: null, query: { gw: "GW-1", model: "X200" }, ignored: [] });
  });
});
