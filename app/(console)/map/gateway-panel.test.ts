import { describe, expect, it } from "vitest";
import { parseSliceCountsParams } from "@/lib/fleet/slice-counts";
import { gatewayCountsQuery } from "./gateway-panel";

describe("gatewayCountsQuery", () => {
  it("asks for the clicked gateway with the map's filters the counts take, and the API reads them back", () => {
    const q = gatewayCountsQuery("GW-0042", { states: ["tamper"], fault: "E105", since: "24h", gw: "GW-0007", zone: "hot-dry", kind: "gas", model: "brio-g200", fw: "3.2.4/" });
    expect(Object.fromEntries(new URLSearchParams(q))).toEqual({ gw: "GW-0042", fault: "E105", since: "24h", zone: "hot-dry", kind: "gas", model: "brio-g200", fw: "3.2.4/" });
    expect(parseSliceCountsParams(new URLSearchParams(q))).toEqual({
      slice: { gw: "GW-0042", zone: "hot-dry", kind: "gas", model: "brio-g200", fwMetrology: "3.2.4" },
      fault: "E105",
      windowMs: 24 * 3_600_000,
    });
  });

  it("without filters, only the gateway", () => {
    expect(gatewayCountsQuery("GW-0001", { states: [] })).toBe("gw=GW-0001");
  });
});
