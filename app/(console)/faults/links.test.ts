import { describe, expect, it } from "vitest";
import { CATALOGUE, findSignature } from "@/lib/faults/catalogue";
import { campaignHref, explorerHref, explorerQuery, mapHref, sliceWithCell } from "./links";
import { faultsHref, parseFaultsSearch, sliceOf } from "./search-params";

const sig = (id: string) => findSignature(CATALOGUE, id)!;

describe("explorer links", () => {
  it("filters a code signature to its gateway", () => {
    expect(explorerQuery(sig("E105"), { gw: "GW-0042" })).toBe("code:E105 gw:GW-0042");
    const href = explorerHref(sig("E105"), { gw: "GW-0042" }, "24h")!;
    const url = new URL(href, "http://x");
    expect(url.pathname).toBe("/logs");
    expect(url.searchParams.get("q")).toBe("code:E105 gw:GW-0042");
    expect(url.searchParams.get("range")).toBe("24h");
  });
  it("uses led and numeric comparisons, and quotes odd values", () => {
    expect(explorerQuery(sig("led_amber_steady"), { gw: 'G "1' })).toBe('led:amber_steady gw:"G \\"1"');
    expect(explorerQuery(sig("snr_low"), {})).toBe("snr:<15");
    expect(explorerQuery(sig("terminal_hot"), { fwMetrology: "1.0.0", fwComms: "2.0.0" })).toBe("temp_c:>60 fw_metrology:1.0.0 fw_comms:2.0.0");
  });
  it("has no explorer link for signatures the query language cannot express", () => {
    expect(explorerHref(sig("clock_drift"), {}, "7d")).toBeNull();
    expect(explorerHref(sig("fw_pair_incompatible"), {}, "7d")).toBeNull();
  });
});

describe("map and campaign links", () => {
  it("narrows the slice by a root-cause cell", () => {
    expect(sliceWithCell({ zone: "cold" }, "gateway", "GW-1")).toEqual({ zone: "cold", gw: "GW-1" });
    expect(sliceWithCell({}, "fw_pair", "1.0/2.0")).toEqual({ fwMetrology: "1.0", fwComms: "2.0" });
    expect(sliceWithCell({}, "install_year", "2019")).toBeNull();
  });
  it("builds the map URL contract", () => {
    expect(mapHref("E105", { gw: "GW-0042", fwMetrology: "1", fwComms: "2" }, "24h")).toBe("/map?fault=E105&gw=GW-0042&fw=1%2F2&since=24h");
  });
  it("prefills campaign creation with the remediation step, or nothing without one", () => {
    const url = new URL(campaignHref(sig("E105"), { gw: "GW-0042" }, 7)!, "http://x");
    expect(url.pathname).toBe("/campaigns/new");
    expect(Object.fromEntries(url.searchParams)).toEqual({ jobType: "rf_analysis", fault: "E105", days: "7", gw: "GW-0042" });
    expect(new URL(campaignHref(sig("led_amber_steady"), {}, 1)!, "http://x").searchParams.get("led")).toBe("amber_steady");
    expect(campaignHref(sig("TLS_HANDSHAKE"), {}, 1)).toBeNull();
  });
});

describe("search params", () => {
  it("defaults and ignores junk", () => {
    const s = parseFaultsSearch({ window: "1y", fw: "nope", sig: "x;drop", gw: ["GW-1", "GW-2"] });
    expect(s).toMatchObject({ window: "24h", fw: undefined, sig: undefined, gw: "GW-1", tab: "matrix" });
    expect(sliceOf(parseFaultsSearch({ fw: "1.0.0/2.0.0" }))).toMatchObject({ fwMetrology: "1.0.0", fwComms: "2.0.0" });
  });
  it("round-trips through the URL", () => {
    const s = parseFaultsSearch({ window: "7d", zone: "hot-dry" });
    expect(faultsHref(s, { sig: "E105" })).toBe("/faults?window=7d&zone=hot-dry&sig=E105");
  });
});
