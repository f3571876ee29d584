"use client";
// The map's data: the fleet's ids and positions once per fleet version (ETag), one state
// byte per meter per filter change (lib/map/binary.ts), the meters in view (which decide
// clusters or single meters), the clusters of the view from ClickHouse (/api/map/cells)
// and the gateways. Live deltas are applied to the same arrays by use-live-updates.ts.
import { useCallback, useEffect, useMemo, useRef, useState, type RefObject } from "react";
import type { MapViewState } from "@deck.gl/core";
import { GZIP_BODY_HEADERS, decodeFleet, decodeStates, fnv1a, readBinaryBody } from "@/lib/map/binary";
import { cellKey, gridLevelForZoom, shouldShowPoints } from "@/lib/map/cells";
import { applyPending, coalesceItems, colorInto, countStates, type StateArrays } from "@/lib/map/browser/deltas";
import { makeIndexOf } from "@/lib/map/browser/fleet-index";
import { countInBox } from "@/lib/map/browser/points";
import { serializeMapFilters } from "@/lib/map/search-params";
import { EXCLUDED, MAP_STATES, type FleetExtent, type FleetLiveItem, type MapCell, type MapFilters, type MapGateway } from "@/lib/map/types";
import type { Fleet, MapStore } from "./map-types";
import { bboxOf, fitView } from "./view";

/**
 * Live items are kept this long and replayed onto a fresh states payload: the payload
 * is read from map_meter_cells, which trails the live stream by up to ~1.5 s
 * (lib/map/server/cells-sync.ts), so a change streamed just before a reload is not lost.
 */
export const REPLAY_MS = 5_000;
/**
 * On the first load with the server's extent, the positions and states payloads (9 MB
 * for 1 M meters) wait for the first cells answer, at most this long. Fetched beside it,
 * their bodies and decode held the main thread and the server: in bench:map the cells
 * were answered 1.2 s after the page request and handled by the page 1.5 s later.
 */
const FIRST_PAYLOAD_WAIT_MS = 1_200;

/** The document is being left: fetches the browser cancels then are not failures to report. */
let leaving = false;
if (typeof window !== "undefined") {
  window.addEventListener("pagehide", () => (leaving = true));
  window.addEventListener("beforeunload", () => (leaving = true));
  window.addEventListener("pageshow", () => (leaving = false));
}

/** Logs a failed background fetch, unless it was cancelled (aborted, or the page is being left). */
export function reportFetchError(e: unknown, signal?: AbortSignal): void {
  if (signal?.aborted || leaving) return;
  console.error("[map]", e);
}

export interface MapDataInput {
  filters: MapFilters;
  visible: boolean[];
  view: MapViewState;
  setView: (f: (v: MapViewState) => MapViewState) => void;
  size: { width: number; height: number };
  containerRef: RefObject<HTMLDivElement | null>;
  /** The open meter (the first view centres on it). */
  selectedRef: RefObject<string | null>;
  /** Someone moved the map (or a link gave the view): the data no longer fits it. */
  userMovedRef: RefObject<boolean>;
  hasInitialMeter: boolean;
  extentPromise: Promise<FleetExtent | null>;
}

export function useMapData({ filters, visible, view, setView, size, containerRef, selectedRef, userMovedRef, hasInitialMeter, extentPromise }: MapDataInput) {
  const storeRef = useRef<MapStore>({ fleet: null, arrays: null, cells: { level: 0, byKey: new Map() }, inView: null, pending: new Map(), recent: [], visible });
  const store = storeRef.current;
  const [fleetCount, setFleetCount] = useState<number | null>(null);
  const [counts, setCounts] = useState<number[]>(MAP_STATES.map(() => 0));
  const [cells, setCells] = useState<MapCell[]>([]);
  const [gateways, setGateways] = useState<MapGateway[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [colorsVersion, setColorsVersion] = useState(0);
  const [statesLoaded, setStatesLoaded] = useState(false);
  const [statesVersion, setStatesVersion] = useState(0);
  // The first view came from the server's extent (no meter to centre on): cells can be
  // fetched and drawn while the positions and states payloads are still on their way.
  const [extentFitted, setExtentFitted] = useState(false);
  const extentFittedRef = useRef(extentFitted);
  extentFittedRef.current = extentFitted;
  const viewRef = useRef(view);
  viewRef.current = view;
  const [initialExtent, setInitialExtent] = useState<FleetExtent | null>(null);

  const filterQuery = useMemo(() => serializeMapFilters({ ...filters, states: [] }).toString(), [filters]);

  // Fleet positions: once per fleet version (the browser revalidates with the ETag).
  const loadFleet = useCallback(async (): Promise<Fleet> => {
    const res = await fetch("/api/map/fleet", { cache: "no-cache", headers: GZIP_BODY_HEADERS });
    if (!res.ok) throw new Error(`fleet: ${res.status} ${(await res.json().catch(() => ({}))).error ?? ""}`);
    const version = res.headers.get("x-fleet-version") ?? "";
    if (store.fleet && store.fleet.version === version) return store.fleet;
    const f = decodeFleet(await readBinaryBody(res));
    const fleet = { ...f, indexOf: makeIndexOf(f.ids), version };
    store.fleet = fleet;
    setFleetCount(f.ids.length);
    return fleet;
  }, [store]);

  // Released when the first paint no longer needs the main thread and the server to itself:
  // the first cells are in, or there will be none to wait for (no extent, a meter to centre
  // on, a view that shows single meters, an error).
  const firstCellsGate = useMemo(() => {
    let release!: () => void;
    const done = new Promise<void>((r) => (release = r));
    return { done, release };
  }, []);

  const fitBox = useCallback(
    (west: number, south: number, east: number, north: number) => {
      const el = containerRef.current;
      if (!el) return false;
      const fit = fitView(el.clientWidth, el.clientHeight, west, south, east, north);
      setView((v) => ({ ...v, ...fit }));
      return true;
    },
    [containerRef, setView],
  );

  /** The fleet's 1st-99th percentile box of included meters: one stray meter does not zoom the map out to the world. */
  const fitFleetBox = useCallback(
    (fleet: Fleet, states: Uint8Array) => {
      const lons: number[] = [];
      const lats: number[] = [];
      const step = Math.max(1, Math.floor(fleet.ids.length / 20000));
      for (let i = 0; i < fleet.ids.length; i += step) {
        if (states[i] === EXCLUDED) continue;
        lons.push(fleet.lon[i]!);
        lats.push(fleet.lat[i]!);
      }
      if (!lons.length) return false;
      lons.sort((a, b) => a - b);
      lats.sort((a, b) => a - b);
      const q = (a: number[], p: number) => a[Math.min(a.length - 1, Math.floor(p * a.length))]!;
      return fitBox(q(lons, 0.01), q(lats, 0.01), q(lons, 0.99), q(lats, 0.99));
    },
    [fitBox],
  );

  const fitToFleet = useCallback(
    (fleet: Fleet, states: Uint8Array) => {
      if (!containerRef.current) return;
      const selected = selectedRef.current !== null ? fleet.indexOf(selectedRef.current) : undefined;
      if (selected !== undefined) {
        setView((v) => ({ ...v, longitude: fleet.lon[selected]!, latitude: fleet.lat[selected]!, zoom: 12 }));
        return;
      }
      fitFleetBox(fleet, states);
    },
    [containerRef, selectedRef, setView, fitFleetBox],
  );

  /** The "fit fleet" button: the whole filtered fleet, whatever is open. */
  const fitFleet = useCallback(() => {
    const { fleet, arrays } = store;
    if (fleet && arrays && fitFleetBox(fleet, arrays.states)) return;
    if (initialExtent) fitBox(initialExtent.west, initialExtent.south, initialExtent.east, initialExtent.north);
  }, [store, fitFleetBox, fitBox, initialExtent]);

  // States for the current filters; reloads the fleet if its version moved.
  useEffect(() => {
    let cancelled = false;
    (async () => {
      try {
        const firstLoad = !store.arrays;
        if (firstLoad) {
          let timer: ReturnType<typeof setTimeout> | undefined;
          await Promise.race([firstCellsGate.done, new Promise<void>((r) => (timer = setTimeout(r, FIRST_PAYLOAD_WAIT_MS)))]);
          clearTimeout(timer);
          if (cancelled) return;
        }
        // Positions and states in parallel: on the first load the states read no longer waits behind the positions.
        const statesReq = fetch(`/api/map/states?${filterQuery}`, { cache: "no-store", headers: GZIP_BODY_HEADERS });
        statesReq.catch(() => undefined); // awaited below; observed here in case the positions fail first
        let fleet = store.fleet ?? (await loadFleet());
        let res = await statesReq;
        if (!res.ok) throw new Error(`states: ${res.status}`);
        let decoded = decodeStates(await readBinaryBody(res));
        if (decoded.versionHash !== fnv1a(fleet.version) || decoded.states.length !== fleet.ids.length) {
          fleet = await loadFleet();
          res = await fetch(`/api/map/states?${filterQuery}`, { cache: "no-store", headers: GZIP_BODY_HEADERS });
          decoded = decodeStates(await readBinaryBody(res));
        }
        if (cancelled) return;
        const states = decoded.states.length === fleet.ids.length ? decoded.states : new Uint8Array(fleet.ids.length).fill(EXCLUDED);
        const colors = new Uint8Array(states.length * 4);
        for (let i = 0; i < states.length; i++) colorInto(colors, i, states[i]!, store.visible);
        const arrays: StateArrays = { states, colors, visible: store.visible, counts: countStates(states) };
        store.pending.clear();
        const replay = new Map<string, FleetLiveItem>();
        for (const r of store.recent) if (r.at >= Date.now() - REPLAY_MS) coalesceItems(replay, r.items);
        applyPending(replay, fleet.indexOf, arrays);
        store.arrays = arrays;
        setCounts([...arrays.counts]);
        setColorsVersion((v) => v + 1);
        setStatesLoaded(true);
        setStatesVersion((v) => v + 1);
        setError(null);
        if (firstLoad && fleet.ids.length > 0 && !extentFittedRef.current && !userMovedRef.current) fitToFleet(fleet, states);
      } catch (e) {
        if (!cancelled && !leaving) setError(e instanceof Error ? e.message : String(e));
      }
    })();
    return () => {
      cancelled = true;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [filterQuery, loadFleet]);

  // First view from the server's extent, before any payload (the same 1st-99th percentile box fitToFleet
  // computes). Fitted again when the canvas gets its laid-out size, until someone moves the map.
  useEffect(() => {
    let current = true;
    void extentPromise.then(
      (e) => {
        if (!e || hasInitialMeter) firstCellsGate.release();
        if (current) setInitialExtent(e);
      },
      () => firstCellsGate.release(),
    );
    return () => {
      current = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [extentPromise]);
  useEffect(() => {
    // Not once the payloads fitted the view: the extent may stream in after them.
    if (!initialExtent || hasInitialMeter || userMovedRef.current || store.arrays || size.width < 200 || size.height < 200) return;
    if (fitBox(initialExtent.west, initialExtent.south, initialExtent.east, initialExtent.north)) setExtentFitted(true);
    // On size changes and when the extent arrives.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [size.width, size.height, initialExtent]);

  // Legend toggles only recolour (alpha 0 for hidden states): no reload.
  useEffect(() => {
    store.visible = visible;
    const a = store.arrays;
    if (!a) return;
    a.visible = visible;
    for (let i = 0; i < a.states.length; i++) colorInto(a.colors, i, a.states[i]!, visible);
    setColorsVersion((v) => v + 1);
  }, [visible, store]);

  // Meters in view decide cells vs points (counting is not clustering: a linear scan of typed arrays).
  // Rescanned when the view, legend or states payload change; live batches adjust it by
  // the meters in the box whose visibility flipped (use-live-updates.ts), so the
  // stream does not cost a 1 M scan per frame.
  useMemo(() => {
    const f = store.fleet;
    const a = store.arrays;
    if (!f || !a) return (store.inView = null);
    const box = bboxOf(view, size.width, size.height);
    store.inView = { box, n: countInBox(f.lon, f.lat, a.states, visible, box) };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [view, size, visible, statesVersion]);
  // Before the payloads: the server's count of filtered meters (nearly all are inside the fitted box).
  const inView = store.inView?.n ?? (!statesLoaded && extentFitted ? (initialExtent?.count ?? 0) : 0);
  const mode: "points" | "cells" = shouldShowPoints(view.zoom, inView) ? "points" : "cells";
  useEffect(() => {
    if ((extentFitted || userMovedRef.current) && mode === "points") firstCellsGate.release(); // single meters need the positions
  }, [extentFitted, mode, firstCellsGate, userMovedRef]);

  // Cells from ClickHouse for the viewport (debounced), only in cell mode.
  const level = gridLevelForZoom(view.zoom);
  const cellsReady = statesLoaded || extentFitted;
  useEffect(() => {
    if (mode !== "cells" || !cellsReady) return;
    const ctrl = new AbortController();
    const t = setTimeout(
      async () => {
        try {
          const b = bboxOf(viewRef.current, size.width, size.height);
          const q = new URLSearchParams(filterQuery);
          q.set("level", String(level));
          q.set("bbox", [b.west, b.south, b.east, b.north].map((x) => x.toFixed(4)).join(","));
          const res = await fetch(`/api/map/cells?${q}`, { signal: ctrl.signal, cache: "no-store" });
          if (!res.ok) throw new Error(`cells: ${res.status}`);
          const body = (await res.json()) as { cells: MapCell[]; level: number };
          store.cells = { level: body.level, byKey: new Map(body.cells.map((c) => [cellKey(c.cx, c.cy), c])) };
          setCells(body.cells);
          firstCellsGate.release();
        } catch (e) {
          if (!ctrl.signal.aborted && !leaving) {
            setError(e instanceof Error ? e.message : String(e));
            firstCellsGate.release();
          }
        }
      },
      store.cells.byKey.size ? 200 : 0,
    ); // the first cells are on the first-paint path: no debounce
    return () => {
      clearTimeout(t);
      ctrl.abort();
    };
    // Re-fetch on pan (rounded centre) or zoom level, not on every frame.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [mode, level, filterQuery, cellsReady, Math.round(view.longitude * 4), Math.round(view.latitude * 4), size.width, size.height]);

  // Gateways (filters applied). The gateway filtered to is drawn even when none of its meters
  // match the other filters (a root-cause link with no fault open now), so it can still be
  // clicked for its counts.
  const filteredGw = filters.gw;
  useEffect(() => {
    const ctrl = new AbortController();
    const get = (q: string) =>
      fetch(`/api/map/gateways?${q}`, { signal: ctrl.signal, cache: "no-store" })
        .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`gateways: ${r.status}`))))
        .then((b: { gateways: MapGateway[] }) => b.gateways);
    get(filterQuery)
      .then(async (gws) => {
        if (filteredGw && !gws.some((g) => g.gw === filteredGw)) {
          const own = (await get(new URLSearchParams({ gw: filteredGw }).toString())).filter((g) => g.gw === filteredGw);
          gws = [...gws, ...own.map((g) => ({ ...g, meters: 0, unhealthy: 0 }))];
        }
        if (!ctrl.signal.aborted) setGateways(gws);
      })
      .catch((e) => reportFetchError(e, ctrl.signal));
    return () => ctrl.abort();
  }, [filterQuery, filteredGw]);

  return {
    store,
    fleetCount,
    counts,
    setCounts,
    cells,
    setCells,
    gateways,
    error,
    setError,
    colorsVersion,
    bumpColors: () => setColorsVersion((v) => v + 1),
    statesLoaded,
    inView,
    mode,
    fitFleet,
  };
}
