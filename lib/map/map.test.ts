import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { splitLineAtAntimeridian, geometryToPaths } from "./browser/antimeridian";
import { decodeFleet, decodeIndexList, decodeStates, encodeFleet, encodeIndexList, encodeStates, fnv1a } from "./binary";
import { CELL_LEVELS, cellId, cellOf, gridLevelForZoom, shouldShowPoints, stepForLevel, MAX_GRID_LEVEL, MIN_GRID_LEVEL, POINTS_ZOOM } from "./cells";
import { buildCellFilterConditions, buildMapCellsQuery } from "@/lib/clickhouse/queries/map";
import { applyPending, coalesceItems, countStates, colorInto } from "./browser/deltas";
import { countInBox, gatherColors, inBoxDelta, isSelectionCurrent, padBox, selectPoints } from "./browser/points";
import { makeIndexOf } from "./browser/fleet-index";
import { cellDonuts, MIN_SHARE } from "./browser/layers";
import { parseMapFilters, parseMapView, serializeMapFilters, serializeMapView, sinceToMs } from "./search-params";
import { applyLineToFacts, deriveMapState, stateAfterLiveItem, type MeterMapFacts } from "./state";
import { EXCLUDED, MAP_STATES, type FleetLiveItem } from "./types";

const NOW = Date.UTC(2026, 10, 25, 3, 0, 0);
const DAY = 86_400_000;
const never: MeterMapFacts = { lastSeen: 0, led: "", lastClearAt: 0, lastGaspAt: 0, lastTamperAt: 0 };

describe("deriveMapState", () => {
  const seen = (p: Partial<MeterMapFacts>): MeterMapFacts => ({ ...never, lastSeen: NOW - 1000, ...p });
  it("orders the rules: unknown, offline, stale, tamper, red, amber, normal", () => {
    expect(deriveMapState(never, NOW, DAY)).toBe("unknown");
    expect(deriveMapState(seen({ lastGaspAt: NOW - 1000, led: "red_blinking" }), NOW, DAY)).toBe("offline");
    expect(deriveMapState(seen({ led: "off" }), NOW, DAY)).toBe("offline");
    expect(deriveMapState(seen({ lastSeen: NOW - 2 * DAY, led: "red_blinking" }), NOW, DAY)).toBe("stale");
    expect(deriveMapState(seen({ lastTamperAt: NOW - 5000, lastClearAt: NOW - 9000, led: "red_blinking" }), NOW, DAY)).toBe("tamper");
    expect(deriveMapState(seen({ lastTamperAt: NOW - 9000, lastClearAt: NOW - 5000, led: "red_blinking" }), NOW, DAY)).toBe("red_blinking");
    expect(deriveMapState(seen({ led: "amber_steady" }), NOW, DAY)).toBe("amber_steady");
    expect(deriveMapState(seen({ led: "green_steady" }), NOW, DAY)).toBe("normal");
    expect(deriveMapState(seen({ led: "amber_blinking" }), NOW, DAY)).toBe("normal");
  });
  it("a line after a last gasp brings the meter back", () => {
    let f = applyLineToFacts(never, { ts: NOW - 5000, code: "LAST_GASP", sev: "warn", led: "" });
    expect(deriveMapState(f, NOW, DAY)).toBe("offline");
    f = applyLineToFacts(f, { ts: NOW - 1000, code: "HEARTBEAT", sev: "debug", led: "green_steady" });
    expect(deriveMapState(f, NOW, DAY)).toBe("normal");
    // A late (older) line changes nothing.
    expect(applyLineToFacts(f, { ts: NOW - 9000, code: "E042", sev: "critical", led: "" })).toBe(f);
  });
  it("a clear ends tamper", () => {
    let f = applyLineToFacts(never, { ts: NOW - 5000, code: "E042", sev: "critical", led: "" });
    expect(deriveMapState(f, NOW, DAY)).toBe("tamper");
    f = applyLineToFacts(f, { ts: NOW - 1000, code: "HEARTBEAT", sev: "debug", led: "" });
    expect(deriveMapState(f, NOW, DAY)).toBe("normal");
  });
  it("live items move the state like the facts would", () => {
    expect(stateAfterLiveItem("normal", { meter: "EM-0001", led: "red_blinking", code: "E001", sev: "critical" })).toBe("red_blinking");
    expect(stateAfterLiveItem("red_blinking", { meter: "EM-0001", code: "LAST_GASP", sev: "warn" })).toBe("offline");
    expect(stateAfterLiveItem("stale", { meter: "EM-0001", code: "HEARTBEAT", sev: "debug" })).toBe("normal");
    expect(stateAfterLiveItem("amber_steady", { meter: "EM-0001", code: "HEARTBEAT", sev: "debug" })).toBe("amber_steady");
    expect(stateAfterLiveItem("normal", { meter: "EM-0001", state: "tamper" })).toBe("tamper");
  });
});

describe("grid cells per zoom", () => {
  it("halves the step per zoom level within bounds", () => {
    expect(gridLevelForZoom(0)).toBe(3);
    expect(gridLevelForZoom(-2)).toBe(3);
    expect(gridLevelForZoom(4.9)).toBe(7);
    expect(gridLevelForZoom(30)).toBe(16);
    expect(gridLevelForZoom(Number.NaN)).toBe(3);
    for (let z = 0; z < 12; z++) {
      // ~64 px wide on a 512*2^z px world
      const px = (stepForLevel(gridLevelForZoom(z)) / 360) * 512 * 2 ** z;
      expect(px).toBeGreaterThanOrEqual(32);
      expect(px).toBeLessThanOrEqual(128);
    }
  });
  it("puts a point in the cell that contains it", () => {
    fc.assert(
      fc.property(fc.double({ min: -180, max: 179.999, noNaN: true }), fc.double({ min: -90, max: 89.999, noNaN: true }), fc.integer({ min: 3, max: 16 }), (lon, lat, level) => {
        const { cx, cy } = cellOf(lon, lat, level);
        const step = stepForLevel(level);
        expect(cx * step - 180).toBeLessThanOrEqual(lon + 1e-9);
        expect((cx + 1) * step - 180).toBeGreaterThan(lon - 1e-9);
        expect(cy * step - 90).toBeLessThanOrEqual(lat + 1e-9);
      }),
    );
  });
  it("keeps the edges in the last column and row, and one UInt32 id per cell up to level 16", () => {
    expect(cellOf(180, 90, 16)).toEqual({ cx: 2 ** 16 - 1, cy: 2 ** 15 - 1 });
    expect(cellOf(-180, -90, 3)).toEqual({ cx: 0, cy: 0 });
    expect(cellId(2 ** 16 - 1, 2 ** 15 - 1)).toBeLessThan(2 ** 32);
    expect(cellId(3, 5)).not.toBe(cellId(5, 3));
    expect(CELL_LEVELS).toEqual(Array.from({ length: MAX_GRID_LEVEL - MIN_GRID_LEVEL + 1 }, (_, i) => MIN_GRID_LEVEL + i));
  });
  it("switches to points when zoomed in or few meters in view", () => {
    expect(shouldShowPoints(POINTS_ZOOM, 1_000_000)).toBe(true);
    expect(shouldShowPoints(3, 100)).toBe(true);
    expect(shouldShowPoints(3, 1_000_000)).toBe(false);
  });
});

describe("binary payloads", () => {
  it("round-trips the fleet payload", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.stringMatching(/^[A-Z]{2}-[0-9]{4,10}$/), fc.float({ min: -180, max: 180, noNaN: true }), fc.float({ min: -90, max: 90, noNaN: true })), {
          maxLength: 50,
        }),
        (rows) => {
          const bytes = encodeFleet({ ids: rows.map((r) => r[0]), lon: Float32Array.from(rows.map((r) => r[1])), lat: Float32Array.from(rows.map((r) => r[2])) });
          const back = decodeFleet(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
          expect(back.ids).toEqual(rows.map((r) => r[0]));
          expect(Array.from(back.lon)).toEqual(rows.map((r) => Math.fround(r[1])));
          expect(Array.from(back.lat)).toEqual(rows.map((r) => Math.fround(r[2])));
        },
      ),
    );
  });
  it("round-trips states and index lists, and refuses a wrong magic or length", () => {
    const states = Uint8Array.from([0, 1, 2, 255, 6]);
    const s = encodeStates(states, fnv1a("3-123"));
    const d = decodeStates(s.buffer as ArrayBuffer);
    expect(Array.from(d.states)).toEqual([0, 1, 2, 255, 6]);
    expect(d.versionHash).toBe(fnv1a("3-123"));
    const idx = encodeIndexList(Uint32Array.from([7, 0, 4_000_000_000]));
    expect(Array.from(decodeIndexList(idx.buffer as ArrayBuffer))).toEqual([7, 0, 4_000_000_000]);
    expect(() => decodeFleet(s.buffer as ArrayBuffer)).toThrow(/AMF1/);
    expect(() => decodeStates(s.buffer.slice(0, 18) as ArrayBuffer)).toThrow(/length/);
  });
});

describe("delta merging", () => {
  function arrays(states: number[]) {
    const s = Uint8Array.from(states);
    const visible = MAP_STATES.map(() => true);
    const colors = new Uint8Array(s.length * 4);
    for (let i = 0; i < s.length; i++) colorInto(colors, i, s[i]!, visible);
    return { states: s, colors, visible, counts: countStates(s) };
  }
  const ids = ["EM-0001", "EM-0002", "EM-0003"];
  const indexOf = (m: string) => {
    const i = ids.indexOf(m);
    return i < 0 ? undefined : i;
  };

  it("keeps the latest item per meter and applies it in place", () => {
    const a = arrays([0, 0, EXCLUDED]);
    const pending = new Map<string, FleetLiveItem>();
    coalesceItems(pending, [
      { meter: "EM-0001", ts: 2, led: "red_blinking", code: "E001", sev: "critical" },
      { meter: "EM-0001", ts: 1, led: "amber_steady", code: "E105", sev: "error" }, // older: ignored
      { meter: "EM-0002", ts: 1, led: "amber_steady", code: "E105", sev: "error" },
      { meter: "EM-0003", ts: 1, led: "red_blinking", code: "E001", sev: "critical" }, // excluded by filters
      { meter: "EM-9999", ts: 1, led: "red_blinking", code: "E001", sev: "critical" }, // not in fleet
    ]);
    const changed = applyPending(pending, indexOf, a);
    expect(changed).toEqual([
      { index: 0, from: 0, to: 2 },
      { index: 1, from: 0, to: 1 },
    ]);
    expect(Array.from(a.states)).toEqual([2, 1, EXCLUDED]);
    expect(a.counts).toEqual(countStates(a.states));
    expect(Array.from(a.colors.subarray(0, 3))).toEqual([248, 81, 73]);
    expect(pending.size).toBe(0);
  });
  it("counts stay equal to a recount after any sequence of items", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            m: fc.integer({ min: 0, max: 2 }),
            led: fc.constantFrom("", "red_blinking", "amber_steady", "green_steady", "off"),
            code: fc.constantFrom("HEARTBEAT", "E042", "LAST_GASP", "E105"),
          }),
          { maxLength: 40 },
        ),
        (items) => {
          const a = arrays([0, 5, 6]);
          const pending = new Map<string, FleetLiveItem>();
          for (const it of items) {
            coalesceItems(pending, [{ meter: ids[it.m]!, led: it.led, code: it.code, sev: it.code === "HEARTBEAT" ? "debug" : "error" }]);
            if (it.m === 2) applyPending(pending, indexOf, a);
          }
          applyPending(pending, indexOf, a);
          expect(a.counts).toEqual(countStates(a.states));
        },
      ),
    );
  });
  it("hides states switched off in the legend", () => {
    const a = arrays([0, 2]);
    a.visible[2] = false;
    colorInto(a.colors, 1, 2, a.visible);
    expect(a.colors[7]).toBe(0);
    expect(a.colors[3]).toBeGreaterThan(0);
  });
});

describe("antimeridian", () => {
  it("cuts a line that crosses 180 into two pieces ending on the edge", () => {
    const parts = splitLineAtAntimeridian([
      [170, 60],
      [179, 62],
      [-179, 64],
      [-170, 65],
    ]);
    expect(parts).toHaveLength(2);
    expect(parts[0]!.at(-1)).toEqual([180, 63]);
    expect(parts[1]![0]).toEqual([-180, 63]);
    for (const p of parts) for (let i = 1; i < p.length; i++) expect(Math.abs(p[i]![0] - p[i - 1]![0])).toBeLessThanOrEqual(180);
  });
  it("crossing westwards works too, and ordinary lines stay whole", () => {
    const parts = splitLineAtAntimeridian([
      [-175, 0],
      [175, 10],
    ]);
    expect(parts).toEqual([
      [
        [-175, 0],
        [-180, 5],
      ],
      [
        [180, 5],
        [175, 10],
      ],
    ]);
    expect(
      splitLineAtAntimeridian([
        [0, 0],
        [10, 10],
        [20, 0],
      ]),
    ).toHaveLength(1);
  });
  it("no path in the bundled world outlines spans more than 180 degrees in one step", async () => {
    const { feature } = await import("topojson-client");
    const world = (await import("world-atlas/countries-110m.json")).default as never;
    const fc2 = feature(world, (world as { objects: { countries: never } }).objects.countries) as unknown as { features: { geometry: { type: string; coordinates: unknown } }[] };
    let jumps = 0;
    for (const f of fc2.features) for (const p of geometryToPaths(f.geometry)) for (let i = 1; i < p.length; i++) if (Math.abs(p[i]![0] - p[i - 1]![0]) > 180) jumps++;
    expect(jumps).toBe(0);
  });
});

describe("filters in the URL", () => {
  it("parses the /faults link and drops what does not fit", () => {
    const f = parseMapFilters(new URLSearchParams("fault=E105&gw=GW-0042&zone=Coastal&kind=electric&model=X1&fw=1.2.0/3.1.0&state=red_blinking,bogus,tamper&since=24h&evil=1"));
    expect(f).toEqual({ states: ["red_blinking", "tamper"], fault: "E105", gw: "GW-0042", zone: "Coastal", kind: "electric", model: "X1", fw: "1.2.0/3.1.0", since: "24h" });
    expect(parseMapFilters({ fault: "e105;drop", since: "forever", gw: "x'y" })).toEqual({ states: [] });
    expect(parseMapFilters(serializeMapFilters(f))).toEqual(f);
    expect(sinceToMs("24h")).toBe(DAY);
    expect(sinceToMs("7d")).toBe(7 * DAY);
  });
});

describe("drawer actions by role", () => {
  it("operator schedules, technician opens the meter, viewer gets nothing", async () => {
    const { actionsFor } = await import("./server/drawer-actions");
    expect(actionsFor("operator", "EM-0000042").map((a) => a.href)).toEqual(["/campaigns/new?jobType=rf_analysis&meter=EM-0000042"]);
    expect(actionsFor("technician", "EM-0000042").map((a) => a.href)).toEqual(["/meters/EM-0000042"]);
    expect(actionsFor("viewer", "EM-0000042")).toEqual([]);
  });
});

describe("cell query over map_meter_cells (SQL builder)", () => {
  it("groups one precomputed cell column, applies stale at read time, binds every value", () => {
    const { query, params } = buildMapCellsQuery({
      level: 9,
      filters: { states: [], kind: "gas", fault: "E105", fw: "1.2.0/", since: "24h" },
      bbox: { west: 170, south: -20, east: -170, north: -10 },
      now: NOW,
      staleAfterMs: DAY,
    });
    expect(query).toContain("FROM map_meter_cells FINAL");
    expect(query).toContain("SELECT {cellCol: Identifier} AS cell");
    expect(query).toContain("if(base_state < 4 AND last_seen < {staleBefore: UInt64}, 5, base_state) AS st");
    expect(query).toContain("GROUP BY cell");
    expect(query).not.toMatch(/splitByChar|map_meters\b|GROUP BY meter/);
    expect(query).toContain("(lon >= {west: Float64} OR lon <= {east: Float64})"); // across the antimeridian
    expect(query).not.toContain("gas");
    expect(params).toEqual({
      cellCol: "cell_9",
      staleBefore: NOW - DAY,
      kind: "gas",
      faultIdx: 3,
      fwMetrology: "1.2.0",
      faultSince: NOW - DAY,
      west: 170,
      south: -20,
      east: -170,
      north: -10,
    });
  });
  it("filters are typed columns with bound values; unknown fault codes match nothing", () => {
    const { conditions, params } = buildCellFilterConditions({ states: [], gw: "GW-0042'--", zone: "Desert", fault: "NOPE", fw: "/3.1.0" }, NOW);
    expect(conditions).toEqual(["fault_code = {faultIdx: UInt8} AND fault_open", "gw = {gw: String}", "zone = {zone: String}", "fw_comms = {fwComms: String}"]);
    expect(params).toEqual({ faultIdx: 255, gw: "GW-0042'--", zone: "Desert", fwComms: "3.1.0" });
  });
  it("refuses a level without a precomputed column", () => {
    expect(() => buildMapCellsQuery({ level: 17, filters: { states: [] }, now: NOW, staleAfterMs: DAY })).toThrow(RangeError);
  });
});

describe("points around the viewport", () => {
  const lon = Float32Array.from([-100, -99.5, -98, 179.5, -179.5, 10]);
  const lat = Float32Array.from([40, 40.2, 41, -17, -17, 50]);
  it("selects the meters inside the box, across the antimeridian too, and maps back to fleet indices", () => {
    expect(Array.from(selectPoints(lon, lat, { west: -100.1, south: 39.9, east: -99, north: 40.5 }, 10).indices)).toEqual([0, 1]);
    const wrap = selectPoints(lon, lat, { west: 179, south: -18, east: -179, north: -16 }, 10);
    expect(Array.from(wrap.indices)).toEqual([3, 4]);
    expect(Array.from(wrap.positions)).toEqual([179.5, -17, -179.5, -17]);
  });
  it("keeps a selection while the view stays inside its margin and within a zoom level", () => {
    const view = { west: -100, south: 40, east: -99, north: 41 };
    const sel = selectPoints(lon, lat, padBox(view, 3), 10);
    expect(sel.box).toEqual({ west: -101, south: 39, east: -98, north: 42 });
    expect(isSelectionCurrent(sel, { west: -100.5, south: 40.5, east: -99.5, north: 41.5 }, 10.6)).toBe(true);
    expect(isSelectionCurrent(sel, { west: -102, south: 40, east: -101, north: 41 }, 10)).toBe(false);
    expect(isSelectionCurrent(sel, view, 11)).toBe(false);
    expect(isSelectionCurrent(null, view, 10)).toBe(false);
  });
  it("gathers the colours of the selected meters", () => {
    const colors = Uint8Array.from({ length: 6 * 4 }, (_, i) => i);
    expect(Array.from(gatherColors(Uint32Array.from([1, 4]), colors))).toEqual([4, 5, 6, 7, 16, 17, 18, 19]);
  });
});

describe("in-view count under live changes", () => {
  it("adjusting by the changes equals a recount, for any changes and legend", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.float({ min: -20, max: 20, noNaN: true }), fc.float({ min: -20, max: 20, noNaN: true }), fc.integer({ min: 0, max: 7 })), {
          minLength: 1,
          maxLength: 60,
        }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 6 })), { maxLength: 80 }),
        fc.array(fc.boolean(), { minLength: 7, maxLength: 7 }),
        (pts, moves, visible) => {
          const lon = Float32Array.from(pts.map((p) => p[0]));
          const lat = Float32Array.from(pts.map((p) => p[1]));
          const states = Uint8Array.from(pts.map((p) => (p[2] === 7 ? EXCLUDED : p[2])));
          const box = { west: -5, south: -5, east: 5, north: 5 };
          let n = countInBox(lon, lat, states, visible, box);
          const changes = [];
          for (const [i0, to] of moves) {
            const index = i0 % pts.length;
            const from = states[index]!;
            if (from === EXCLUDED || from === to) continue;
            states[index] = to;
            changes.push({ index, from, to });
          }
          n += inBoxDelta(changes, lon, lat, visible, box);
          expect(n).toBe(countInBox(lon, lat, states, visible, box));
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("meter id lookup without a Map", () => {
  it("finds every id of a sorted fleet and nothing else", () => {
    const ids = Array.from({ length: 5000 }, (_, i) => `${["EM", "GM", "WM"][i % 3]}-${String(i).padStart(8, "0")}`).sort();
    const indexOf = makeIndexOf(ids);
    ids.forEach((id, i) => expect(indexOf(id)).toBe(i));
    expect(indexOf("EM-99999999")).toBeUndefined();
    expect(indexOf("")).toBeUndefined();
    expect(indexOf("ZZ")).toBeUndefined();
  });
  it("falls back to a Map when the ids are not in JS string order", () => {
    // U+1F600 sorts after U+FFFD in UTF-8 bytes (ClickHouse) but before it in UTF-16 (JS).
    const ids = ["A", "M-\uFFFD", "M-\u{1F600}", "Z"];
    const indexOf = makeIndexOf(ids);
    ids.forEach((id, i) => expect(indexOf(id)).toBe(i));
  });
});

describe("cluster donuts", () => {
  const cell = (counts: number[]) => ({ cx: 1, cy: 2, lon: -100, lat: 40, counts, total: counts.reduce((a, b) => a + b, 0) });
  const all = MAP_STATES.map(() => true);
  it("cumulative shares end at 1, follow the counts, and keep a rare fault visible", () => {
    const [d] = cellDonuts([cell([9_990, 0, 10, 0, 0, 0, 0])], all);
    const ends = [...d!.endsA, ...d!.endsB];
    expect(ends[6]).toBe(1);
    for (let i = 1; i < 7; i++) expect(ends[i]!).toBeGreaterThanOrEqual(ends[i - 1]!);
    const red = ends[2]! - ends[1]!;
    expect(red).toBeCloseTo(MIN_SHARE / (MIN_SHARE + 0.999), 5); // 0.1 % drawn as ~4 %
    expect(ends[1]! - ends[0]!).toBe(0); // no amber meter: no sector
    expect(d!.text).toBe("10k");
    expect(d!.total).toBe(10_000);
  });
  it("counts only the states shown in the legend and drops cells with none", () => {
    const hideNormal = all.map((_, i) => i !== 0);
    const ds = cellDonuts([cell([50, 50, 0, 0, 0, 0, 0]), cell([70, 0, 0, 0, 0, 0, 0])], hideNormal);
    expect(ds).toHaveLength(1);
    expect(ds[0]!.total).toBe(50);
    expect(ds[0]!.endsA[0]).toBe(0);
    expect(ds[0]!.endsA[1]).toBeCloseTo(1, 6);
  });
});

describe("a map view in the URL", () => {
  it("reads at=<zoom>/<lat>/<lon>, writes it back the same, and drops malformed or out-of-range views", () => {
    const v = parseMapView(new URLSearchParams("at=13/29.76043/-95.3698"));
    expect(v).toEqual({ zoom: 13, latitude: 29.76043, longitude: -95.3698 });
    expect(parseMapView({ at: serializeMapView(v!) })).toEqual(v);
    expect(serializeMapView({ zoom: 12.5, latitude: 1, longitude: -2 })).toBe("12.5/1.00000/-2.00000");
    for (const bad of ["", "13/29.7", "21/0/0", "5/86/0", "5/0/181", "5/0/0;alert(1)", "x/y/z"]) expect(parseMapView({ at: bad }), bad).toBeNull();
  });
});
