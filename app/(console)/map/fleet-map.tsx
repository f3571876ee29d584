"use client";
// The live fleet map. Data path (lib/map/binary.ts): the fleet's ids + positions
// once per fleet version (ETag), one state byte per meter per filter change, then
// only live deltas over socket.io (room `fleet`), applied to typed arrays once per
// animation frame. Low zoom draws cells aggregated in ClickHouse (/api/map/cells).
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Deck, WebMercatorViewport, type MapViewState, type PickingInfo } from "@deck.gl/core";
import { BitmapLayer, ScatterplotLayer } from "@deck.gl/layers";
import { TileLayer } from "@deck.gl/geo-layers";
import { io, type Socket } from "socket.io-client";
import type { Role } from "@/lib/auth/permissions";
import type { BatchEnvelope } from "@/lib/realtime/rooms";
import { loadBasemapPaths, type BasemapPaths } from "@/lib/map/basemap";
import { GZIP_BODY_HEADERS, decodeFleet, decodeIndexList, decodeStates, fnv1a, readBinaryBody } from "@/lib/map/binary";
import { cellKey, cellOf, gridLevelForZoom, shouldShowPoints } from "@/lib/map/cells";
import { applyPending, coalesceItems, colorInto, countStates, type StateArrays } from "@/lib/map/deltas";
import { cellDonuts, formatCount, mapDeviceProps, type CellDonut } from "@/lib/map/layers";
import { createOverlayCanvas, pickCell, PICK_SLOP, StaticLayers, type Projector } from "@/lib/map/canvas2d";
import { MeterPoints, type PointsViewport } from "@/lib/map/points-gl";
import { makeIndexOf, type IndexOf } from "@/lib/map/fleet-index";
import { countInBox, gatherColors, inBoxDelta, isSelectionCurrent, padBox, selectPoints, type PointsBox, type PointsSelection } from "@/lib/map/points";
import { serializeMapFilters } from "@/lib/map/search-params";
import { EXCLUDED, MAP_STATES, MAP_STATE_COLORS, MAP_STATE_LABELS, type FleetExtent, type FleetLiveItem, type MapCell, type MapFilters, type MapGateway, type MapState } from "@/lib/map/types";
import styles from "./fleet-map.module.css";

/** Deck's viewport, or null before deck has one (getViewports asserts until it is initialized). */
function viewportOf(deck: Deck | null): (Projector & PointsViewport) | null {
  if (!deck?.isInitialized) return null;
  return (deck.getViewports()[0] as unknown as (Projector & PointsViewport) | undefined) ?? null;
}

/** The cells canvas's input outside the cluster view (one identity: no redraw per batch). */
const NO_CELLS: CellDonut[] = [];

interface Props {
  initialFilters: MapFilters;
  initialMeter: string | null;
  role: Role;
  canSchedule: boolean;
  faultCodes: string[];
  tileUrl: string | null;
  staleAfterMs: number;
  /** The filtered fleet's box and count, streamed after the page: the first view and cells need no positions payload. */
  initialExtent: Promise<FleetExtent | null>;
}

interface Fleet {
  ids: string[];
  lon: Float32Array;
  lat: Float32Array;
  /** Id -> index by binary search over the sorted ids (lib/map/fleet-index.ts): no 1 M-entry Map on the first-paint path. */
  indexOf: IndexOf;
  version: string;
}

interface MeterDetail {
  fleet: { meter: string; kind: string; model: string; gw: string; zone: string; timezone: string; lat: number; lon: number; installed_at: string; fw_metrology: string; fw_comms: string; hes_version: string; cert_not_after: number };
  state: { gw: string; last_seen: number | null; led: string; fault_code: string; fault_sev: string; rssi: number | null; lqi: number | null; snr: number | null; temp_c: number | null; battery_v: number | null; fw_metrology: string; fw_comms: string; cert_not_after: number | null } | null;
  lines: { ts: number; code: string; sev: string; led: string; gw: string; step: string; job: string; msg: string }[];
  jobs: { source: string; id: string; name: string; jobType: string; status: string; at: number }[] | null;
  actions: { label: string; href: string; testId: string }[];
}

type Line = MeterDetail["lines"][number];

interface LiveTrace {
  ts: number | null;
  sentAt: number;
  receivedAt: number;
  appliedAt: number | null;
  /** The animation frame after deck drew the change: when it is on screen. */
  shownAt: number | null;
}
const MAX_TRACES = 5_000;
/**
 * Live items are kept this long and replayed onto a fresh states payload: the payload
 * is read from map_meter_cells, which trails the live stream by up to ~1.5 s
 * (lib/map/cells-sync.ts), so a change streamed just before a reload is not lost.
 */
const REPLAY_MS = 5_000;
/**
 * On the first load with the server's extent, the positions and states payloads (9 MB
 * for 1 M meters) wait for the first cells answer, at most this long. Fetched beside it,
 * their bodies and decode held the main thread and the server: in bench:map the cells
 * were answered 1.2 s after the page request and handled by the page 1.5 s later.
 */
const FIRST_PAYLOAD_WAIT_MS = 1_200;
const MAX_TRACED_PER_FLUSH = 500;

const INITIAL_VIEW: MapViewState = { longitude: -98, latitude: 39, zoom: 3, pitch: 0, bearing: 0 };

function formatTime(ms: number | null | undefined): string {
  return ms ? new Date(ms).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z") : "—";
}

function bboxOf(v: MapViewState, width: number, height: number) {
  const vp = new WebMercatorViewport({ ...v, width, height });
  const [west, south, east, north] = vp.getBounds();
  return { west: Math.max(-180, west), south: Math.max(-85, south), east: Math.min(180, east), north: Math.min(85, north) };
}

function gatewayColor(g: MapGateway): [number, number, number, number] {
  const share = g.meters ? g.unhealthy / g.meters : 0;
  const t = Math.min(1, share * 4); // 25 % unhealthy is already full red
  return [Math.round(63 + t * (248 - 63)), Math.round(185 - t * (185 - 81)), Math.round(80 - t * 7), 220];
}

export function FleetMap({ initialFilters, initialMeter, role, canSchedule, faultCodes, tileUrl, staleAfterMs, initialExtent: extentPromise }: Props) {
  const [filters, setFilters] = useState<MapFilters>(initialFilters);
  const [view, setView] = useState<MapViewState>(INITIAL_VIEW);
  const [size, setSize] = useState({ width: 800, height: 600 });
  const [fleetCount, setFleetCount] = useState<number | null>(null);
  const [counts, setCounts] = useState<number[]>(MAP_STATES.map(() => 0));
  const [cells, setCells] = useState<MapCell[]>([]);
  const [gateways, setGateways] = useState<MapGateway[]>([]);
  const [basemap, setBasemap] = useState<BasemapPaths | null>(null);
  const [selectedMeter, setSelectedMeter] = useState<string | null>(initialMeter);
  const [detail, setDetail] = useState<MeterDetail | null>(null);
  const [liveLines, setLiveLines] = useState<Line[]>([]);
  const [selectedGw, setSelectedGw] = useState<MapGateway | null>(null);
  const [gwIndices, setGwIndices] = useState<Uint32Array | null>(null);
  const [live, setLive] = useState<{ connected: boolean; lagMs: number | null; changes: number }>({ connected: false, lagMs: null, changes: 0 });
  const [error, setError] = useState<string | null>(null);
  const [search, setSearch] = useState("");
  const [searchMsg, setSearchMsg] = useState<string | null>(null);
  const [colorsVersion, setColorsVersion] = useState(0);
  const [statesLoaded, setStatesLoaded] = useState(false);
  // The first view came from the server's extent (no meter to centre on): cells can be
  // fetched and drawn while the positions and states payloads are still on their way.
  const [extentFitted, setExtentFitted] = useState(false);
  const [statesVersion, setStatesVersion] = useState(0);

  const containerRef = useRef<HTMLDivElement>(null);
  const deckRef = useRef<Deck | null>(null);
  const staticRef = useRef<StaticLayers | null>(null);
  /** Draws of the data deck (e2e: a live batch redraws the data, not the basemap). */
  const drawCountRef = useRef({ data: 0 });
  const fleetRef = useRef<Fleet | null>(null);
  const arraysRef = useRef<StateArrays | null>(null);
  const pendingRef = useRef(new Map<string, FleetLiveItem>());
  const recentRef = useRef<{ at: number; items: FleetLiveItem[] }[]>([]);
  // Live-path timings per meter (event ts, hub flush, socket receipt, applied), read by e2e and the bench.
  const traceRef = useRef(new Map<string, LiveTrace>());
  const appliedTracesRef = useRef<LiveTrace[]>([]); // applied, layers not yet set
  const drawingTracesRef = useRef<LiveTrace[]>([]); // layers set, waiting for the next paint
  const pointsGlRef = useRef<MeterPoints | null>(null);
  const [deckReady, setDeckReady] = useState(false);
  /** Paints the map's own layers (basemap, clusters, meters) in an animation frame, with deck's viewport. */
  const requestPaintRef = useRef<() => void>(() => {});
  const rafRef = useRef<number | null>(null);
  const socketRef = useRef<Socket | null>(null);
  const cellsRef = useRef<{ level: number; byKey: Map<string, MapCell> }>({ level: 0, byKey: new Map() });
  const visibleRef = useRef<boolean[]>(MAP_STATES.map((s) => initialFilters.states.length === 0 || initialFilters.states.includes(s)));
  const viewRef = useRef(view);
  viewRef.current = view;
  const extentFittedRef = useRef(extentFitted);
  extentFittedRef.current = extentFitted;
  const selectedRef = useRef(selectedMeter);
  selectedRef.current = selectedMeter;

  const visible = useMemo(() => MAP_STATES.map((s) => filters.states.length === 0 || filters.states.includes(s)), [filters.states]);
  const filterQuery = useMemo(() => {
    const q = serializeMapFilters({ ...filters, states: [] });
    return q.toString();
  }, [filters]);

  // URL: filters and the open meter, shareable.
  useEffect(() => {
    const q = serializeMapFilters(filters);
    if (selectedMeter) q.set("meter", selectedMeter);
    const s = q.toString();
    window.history.replaceState(null, "", s ? `/map?${s}` : "/map");
  }, [filters, selectedMeter]);

  // Canvas size.
  useEffect(() => {
    const el = containerRef.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setSize({ width: el.clientWidth, height: el.clientHeight }));
    ro.observe(el);
    setSize({ width: el.clientWidth, height: el.clientHeight });
    return () => ro.disconnect();
  }, []);

  // Offline basemap (bundled JSON), unless a tile URL is configured.
  useEffect(() => {
    if (tileUrl) return;
    let cancelled = false;
    loadBasemapPaths().then((b) => !cancelled && setBasemap(b)).catch((e) => console.error("[map] basemap", e));
    return () => {
      cancelled = true;
    };
  }, [tileUrl]);

  // Fleet positions: once per fleet version (the browser revalidates with the ETag).
  const loadFleet = useCallback(async (): Promise<Fleet> => {
    const res = await fetch("/api/map/fleet", { cache: "no-cache", headers: GZIP_BODY_HEADERS });
    if (!res.ok) throw new Error(`fleet: ${res.status} ${(await res.json().catch(() => ({}))).error ?? ""}`);
    const version = res.headers.get("x-fleet-version") ?? "";
    if (fleetRef.current && fleetRef.current.version === version) return fleetRef.current;
    const f = decodeFleet(await readBinaryBody(res));
    const fleet = { ...f, indexOf: makeIndexOf(f.ids), version };
    fleetRef.current = fleet;
    setFleetCount(f.ids.length);
    return fleet;
  }, []);

  // Released when the first paint no longer needs the main thread and the server to itself:
  // the first cells are in, or there will be none to wait for (no extent, a meter to centre
  // on, a view that shows single meters, an error).
  const firstCellsGate = useMemo(() => {
    let release!: () => void;
    const done = new Promise<void>((r) => (release = r));
    return { done, release };
  }, []);

  // States for the current filters; reloads the fleet if its version moved.
  useEffect(() => {
    let cancelled = false;
    (async () => {
      try {
        const firstLoad = !arraysRef.current;
        if (firstLoad) {
          let timer: ReturnType<typeof setTimeout> | undefined;
          await Promise.race([firstCellsGate.done, new Promise<void>((r) => (timer = setTimeout(r, FIRST_PAYLOAD_WAIT_MS)))]);
          clearTimeout(timer);
          if (cancelled) return;
        }
        // Positions and states in parallel: on the first load the states read no longer waits behind the positions.
        const statesReq = fetch(`/api/map/states?${filterQuery}`, { cache: "no-store", headers: GZIP_BODY_HEADERS });
        statesReq.catch(() => undefined); // awaited below; observed here in case the positions fail first
        let fleet = fleetRef.current ?? (await loadFleet());
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
        for (let i = 0; i < states.length; i++) colorInto(colors, i, states[i]!, visibleRef.current);
        const arrays: StateArrays = { states, colors, visible: visibleRef.current, counts: countStates(states) };
        pendingRef.current.clear();
        const replay = new Map<string, FleetLiveItem>();
        for (const r of recentRef.current) if (r.at >= Date.now() - REPLAY_MS) coalesceItems(replay, r.items);
        applyPending(replay, fleet.indexOf, arrays);
        arraysRef.current = arrays;
        setCounts([...arraysRef.current.counts]);
        setColorsVersion((v) => v + 1);
        setStatesLoaded(true);
        setStatesVersion((v) => v + 1);
        setError(null);
        if (firstLoad && fleet.ids.length > 0 && !extentFittedRef.current) fitToFleet(fleet, states);
      } catch (e) {
        if (!cancelled) setError(e instanceof Error ? e.message : String(e));
      }
    })();
    return () => {
      cancelled = true;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [filterQuery, loadFleet]);

  function fitBox(west: number, south: number, east: number, north: number) {
    const el = containerRef.current;
    if (!el) return false;
    const vp = new WebMercatorViewport({ width: Math.max(200, el.clientWidth), height: Math.max(200, el.clientHeight) });
    const pad = Math.min(60, Math.floor(Math.min(el.clientWidth, el.clientHeight) / 6));
    const fit = vp.fitBounds([[west - 0.01, south - 0.01], [east + 0.01, north + 0.01]], { padding: pad });
    setView((v) => ({ ...v, longitude: fit.longitude, latitude: fit.latitude, zoom: Math.min(13, fit.zoom) }));
    return true;
  }

  // First view from the server's extent, before any payload (the same 1st-99th percentile box fitToFleet
  // computes). Fitted again when the canvas gets its laid-out size, until someone moves the map.
  const userMovedRef = useRef(false);
  const [initialExtent, setInitialExtent] = useState<FleetExtent | null>(null);
  useEffect(() => {
    let current = true;
    void extentPromise.then(
      (e) => {
        if (!e || initialMeter) firstCellsGate.release();
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
    if (!initialExtent || initialMeter || userMovedRef.current || arraysRef.current || size.width < 200 || size.height < 200) return;
    if (fitBox(initialExtent.west, initialExtent.south, initialExtent.east, initialExtent.north)) setExtentFitted(true);
    // On size changes and when the extent arrives.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [size.width, size.height, initialExtent]);

  function fitToFleet(fleet: Fleet, states: Uint8Array) {
    const el = containerRef.current;
    if (!el) return;
    const selected = selectedRef.current !== null ? fleet.indexOf(selectedRef.current) : undefined;
    if (selected !== undefined) {
      setView((v) => ({ ...v, longitude: fleet.lon[selected]!, latitude: fleet.lat[selected]!, zoom: 12 }));
      return;
    }
    // 1st-99th percentile box of included meters: one stray meter does not zoom the map out to the world.
    const lons: number[] = [];
    const lats: number[] = [];
    const step = Math.max(1, Math.floor(fleet.ids.length / 20000));
    for (let i = 0; i < fleet.ids.length; i += step) {
      if (states[i] === EXCLUDED) continue;
      lons.push(fleet.lon[i]!);
      lats.push(fleet.lat[i]!);
    }
    if (!lons.length) return;
    lons.sort((a, b) => a - b);
    lats.sort((a, b) => a - b);
    const q = (a: number[], p: number) => a[Math.min(a.length - 1, Math.floor(p * a.length))]!;
    fitBox(q(lons, 0.01), q(lats, 0.01), q(lons, 0.99), q(lats, 0.99));
  }

  // Legend toggles only recolour (alpha 0 for hidden states): no reload.
  useEffect(() => {
    visibleRef.current = visible;
    const a = arraysRef.current;
    if (!a) return;
    a.visible = visible;
    for (let i = 0; i < a.states.length; i++) colorInto(a.colors, i, a.states[i]!, visible);
    setColorsVersion((v) => v + 1);
  }, [visible]);

  // Meters in view decide cells vs points (counting is not clustering: a linear scan of typed arrays).
  // Rescanned when the view, legend or states payload change; live batches adjust it by
  // the meters in the box whose visibility flipped (inBoxDelta in the flush below), so the
  // stream does not cost a 1 M scan per frame.
  const inViewRef = useRef<{ box: PointsBox; n: number } | null>(null);
  useMemo(() => {
    const f = fleetRef.current;
    const a = arraysRef.current;
    if (!f || !a) return (inViewRef.current = null);
    const box = bboxOf(view, size.width, size.height);
    inViewRef.current = { box, n: countInBox(f.lon, f.lat, a.states, visible, box) };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [view, size, visible, statesVersion]);
  // Before the payloads: the server's count of filtered meters (nearly all are inside the fitted box).
  const inView = inViewRef.current?.n ?? (!statesLoaded && extentFitted ? (initialExtent?.count ?? 0) : 0);
  const mode: "points" | "cells" = shouldShowPoints(view.zoom, inView) ? "points" : "cells";
  useEffect(() => {
    if (extentFitted && mode === "points") firstCellsGate.release(); // single meters need the positions
  }, [extentFitted, mode, firstCellsGate]);

  // Cells from ClickHouse for the viewport (debounced), only in cell mode.
  const level = gridLevelForZoom(view.zoom);
  const cellsReady = statesLoaded || extentFitted;
  useEffect(() => {
    if (mode !== "cells" || !cellsReady) return;
    const ctrl = new AbortController();
    const t = setTimeout(async () => {
      try {
        const b = bboxOf(viewRef.current, size.width, size.height);
        const q = new URLSearchParams(filterQuery);
        q.set("level", String(level));
        q.set("bbox", [b.west, b.south, b.east, b.north].map((x) => x.toFixed(4)).join(","));
        const res = await fetch(`/api/map/cells?${q}`, { signal: ctrl.signal, cache: "no-store" });
        if (!res.ok) throw new Error(`cells: ${res.status}`);
        const body = (await res.json()) as { cells: MapCell[]; level: number };
        cellsRef.current = { level: body.level, byKey: new Map(body.cells.map((c) => [cellKey(c.cx, c.cy), c])) };
        setCells(body.cells);
        firstCellsGate.release();
      } catch (e) {
        if (!ctrl.signal.aborted) {
          setError(e instanceof Error ? e.message : String(e));
          firstCellsGate.release();
        }
      }
    }, cellsRef.current.byKey.size ? 200 : 0); // the first cells are on the first-paint path: no debounce
    return () => {
      clearTimeout(t);
      ctrl.abort();
    };
    // Re-fetch on pan (rounded centre) or zoom level, not on every frame.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [mode, level, filterQuery, cellsReady, Math.round(view.longitude * 4), Math.round(view.latitude * 4), size.width, size.height]);

  // Gateways (filters applied).
  useEffect(() => {
    const ctrl = new AbortController();
    fetch(`/api/map/gateways?${filterQuery}`, { signal: ctrl.signal, cache: "no-store" })
      .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`gateways: ${r.status}`))))
      .then((b: { gateways: MapGateway[] }) => setGateways(b.gateways))
      .catch((e) => !ctrl.signal.aborted && console.error("[map]", e));
    return () => ctrl.abort();
  }, [filterQuery]);

  // Selected gateway: its meters' indices for the highlight layer.
  useEffect(() => {
    if (!selectedGw) {
      setGwIndices(null);
      return;
    }
    const ctrl = new AbortController();
    fetch(`/api/map/gateway-meters?gw=${encodeURIComponent(selectedGw.gw)}`, { signal: ctrl.signal, headers: GZIP_BODY_HEADERS })
      .then((r) => (r.ok ? readBinaryBody(r) : Promise.reject(new Error(`gateway meters: ${r.status}`))))
      .then((b) => setGwIndices(decodeIndexList(b)))
      .catch((e) => !ctrl.signal.aborted && console.error("[map]", e));
    return () => ctrl.abort();
  }, [selectedGw]);

  // Live: room `fleet`; deltas coalesce in a Map and apply once per animation frame.
  useEffect(() => {
    const socket: Socket = io({ path: "/socket.io", withCredentials: true, transports: ["websocket", "polling"] });
    const flush = () => {
      rafRef.current = null;
      const f = fleetRef.current;
      const a = arraysRef.current;
      if (!f || !a || pendingRef.current.size === 0) return;
      const changed = applyPending(pendingRef.current, f.indexOf, a);
      if (!changed.length) return;
      const appliedAt = Date.now();
      for (let k = 0; k < changed.length && k < MAX_TRACED_PER_FLUSH; k++) {
        const tr = traceRef.current.get(f.ids[changed[k]!.index]!);
        if (tr && tr.appliedAt === null) {
          tr.appliedAt = appliedAt;
          appliedTracesRef.current.push(tr);
        }
      }
      const iv = inViewRef.current;
      if (iv) iv.n += inBoxDelta(changed, f.lon, f.lat, a.visible, iv.box);
      const c = cellsRef.current;
      for (const ch of changed) {
        const { cx, cy } = cellOf(f.lon[ch.index]!, f.lat[ch.index]!, c.level);
        const cell = c.byKey.get(cellKey(cx, cy));
        if (cell) {
          cell.counts[ch.from]!--;
          cell.counts[ch.to]!++;
        }
      }
      setCounts([...a.counts]);
      setColorsVersion((v) => v + 1);
      if (c.byKey.size) setCells([...c.byKey.values()]);
      setLive((l) => ({ ...l, changes: l.changes + changed.length }));
    };
    socket.on("connect", () => {
      socket.emit("subscribe", "fleet", (r: { ok: boolean; error?: string }) => {
        setLive((l) => ({ ...l, connected: r?.ok !== false }));
      });
      if (selectedRef.current) socket.emit("subscribe", `meter:${selectedRef.current}`, () => {});
    });
    socket.on("disconnect", () => setLive((l) => ({ ...l, connected: false })));
    socket.on("batch", (env: BatchEnvelope<FleetLiveItem>) => {
      if (!env || !Array.isArray(env.items)) return;
      if (env.room === "fleet") {
        const traces = traceRef.current;
        if (traces.size > MAX_TRACES) traces.clear();
        const receivedAt = Date.now();
        for (const it of env.items) if (it && typeof it.meter === "string") traces.set(it.meter, { ts: it.ts ?? null, sentAt: env.sentAt, receivedAt, appliedAt: null, shownAt: null });
        coalesceItems(pendingRef.current, env.items);
        const recent = recentRef.current;
        recent.push({ at: receivedAt, items: env.items });
        while (recent.length && recent[0]!.at < receivedAt - REPLAY_MS) recent.shift();
        setLive((l) => ({ ...l, lagMs: Math.max(0, Date.now() - env.sentAt) }));
        rafRef.current ??= requestAnimationFrame(flush);
      } else if (env.room === `meter:${selectedRef.current}`) {
        const lines = env.items
          .filter((it): it is FleetLiveItem & { ts: number } => typeof it === "object" && it !== null && typeof (it as FleetLiveItem).ts === "number")
          .map((it) => {
            const x = it as unknown as Partial<Line>;
            return { ts: it.ts, code: String(x.code ?? it.code ?? ""), sev: String(x.sev ?? ""), led: String(x.led ?? ""), gw: String(x.gw ?? ""), step: String(x.step ?? ""), job: String(x.job ?? ""), msg: String(x.msg ?? "") };
          });
        if (lines.length) setLiveLines((prev) => [...lines.sort((a, b) => b.ts - a.ts), ...prev].slice(0, 100));
      }
    });
    socketRef.current = socket;
    return () => {
      socket.close();
      socketRef.current = null;
      if (rafRef.current !== null) cancelAnimationFrame(rafRef.current);
    };
  }, []);

  // Drawer: detail + live room of the selected meter.
  useEffect(() => {
    setDetail(null);
    setLiveLines([]);
    if (!selectedMeter) return;
    const socket = socketRef.current;
    socket?.emit("subscribe", `meter:${selectedMeter}`, () => {});
    const ctrl = new AbortController();
    fetch(`/api/map/meters/${encodeURIComponent(selectedMeter)}`, { signal: ctrl.signal, cache: "no-store" })
      .then(async (r) => (r.ok ? r.json() : Promise.reject(new Error((await r.json().catch(() => ({}))).error ?? `meter: ${r.status}`))))
      .then((d: MeterDetail) => setDetail(d))
      .catch((e) => !ctrl.signal.aborted && setError(e instanceof Error ? e.message : String(e)));
    return () => {
      ctrl.abort();
      socket?.emit("unsubscribe", `meter:${selectedMeter}`);
    };
  }, [selectedMeter]);

  // The deck (imperative: props are set per render below, not re-created) between
  // canvases the map draws itself: the basemap below it (Canvas 2D, lib/map/canvas2d.ts),
  // the single meters (WebGL sprites, lib/map/points-gl.ts) and the clusters (Canvas 2D)
  // above it. Deck keeps the view controller, the tiles, the gateways and the highlights. A live
  // batch repaints only the clusters or the meters, in an animation frame of their own;
  // a view change paints them in deck's frame (onBeforeRender), so they move together.
  // Drawn as deck layers, every live batch redrew the borders with the data (frame p95
  // 233 ms in SwiftShader under 10 000 changes/s, bench:map), each deck.gl program is a
  // shader compilation on the first draw, and SwiftShader spent ~20 us per
  // ScatterplotLayer instance per frame (3 100 meters: 67-83 ms a frame).
  useEffect(() => {
    const el = containerRef.current;
    if (!el) return;
    const deviceProps = mapDeviceProps();
    const baseCanvas = createOverlayCanvas("map-basemap");
    const cellsCanvas = createOverlayCanvas("map-cells");
    const pointsCanvas = createOverlayCanvas("map-points");
    el.prepend(baseCanvas);
    const statics = new StaticLayers(baseCanvas, cellsCanvas);
    staticRef.current = statics;
    const pointsGl = new MeterPoints(pointsCanvas);
    pointsGlRef.current = pointsGl;
    const paint = (vp: Projector & PointsViewport) => {
      statics.sync(vp);
      pointsGl.sync(vp);
    };
    // A frame with what the last render set is on screen: count it and date the live traces.
    const frameDrawn = () => {
      drawCountRef.current.data++;
      const drawn = drawingTracesRef.current;
      if (!drawn.length) return;
      drawingTracesRef.current = [];
      requestAnimationFrame(() => {
        const t = Date.now();
        for (const tr of drawn) tr.shownAt = t;
      });
    };
    let paintRaf: number | null = null;
    requestPaintRef.current = () => {
      paintRaf ??= requestAnimationFrame(() => {
        paintRaf = null;
        const vp = viewportOf(deckRef.current);
        if (!vp) return; // deck not ready yet: its first frame paints them
        paint(vp);
        frameDrawn();
      });
    };
    const deck = new Deck({
      parent: el,
      id: "map-data",
      width: "100%",
      height: "100%",
      controller: true,
      viewState: viewRef.current,
      onViewStateChange: ({ viewState, interactionState }) => {
        if (interactionState.isDragging || interactionState.isPanning || interactionState.isZooming || interactionState.isRotating) userMovedRef.current = true;
        setView(viewState as MapViewState);
      },
      layers: [],
      useDevicePixels: false,
      deviceProps,
      pickingRadius: PICK_SLOP,
      // The map's own layers follow deck's viewport in the frame deck draws.
      onBeforeRender: () => {
        const vp = viewportOf(deckRef.current);
        if (vp) paint(vp);
      },
      onAfterRender: frameDrawn,
      onLoad: () => setDeckReady(true),
    });
    deckRef.current = deck;
    // Over deck's canvas, as the layers were: meters over gateways, clusters over both.
    el.append(pointsCanvas, cellsCanvas);
    // Clicks are picked here, top layer first: the meters and clusters on the CPU, the gateways with deck's
    // public synchronous pickObject (deck 9.4's async pointer-down picking dropped
    // clicks in headless Chromium, SwiftShader).
    let down: { x: number; y: number } | null = null;
    const onDown = (e: PointerEvent) => {
      down = { x: e.clientX, y: e.clientY };
    };
    const onUp = (e: PointerEvent) => {
      if (!down || Math.hypot(e.clientX - down.x, e.clientY - down.y) > 4) return; // a drag, not a click
      down = null;
      const r = el.getBoundingClientRect();
      const x = e.clientX - r.left, y = e.clientY - r.top;
      const meter = pointsGl.pick(x, y);
      if (meter >= 0) {
        lastPickRef.current = { layer: "meters", index: meter };
        onMeterClickRef.current(meter);
        return;
      }
      const vp = viewportOf(deck);
      const cells = statics.cells;
      const cell = vp ? pickCell(vp, cells, x, y) : null;
      if (cell) {
        lastPickRef.current = { layer: "cells", index: cells.indexOf(cell) };
        onCellClickRef.current(cell);
        return;
      }
      const info = deck.pickObject({ x, y, radius: PICK_SLOP, layerIds: ["gateways"] });
      lastPickRef.current = { layer: info?.layer?.id ?? null, index: info?.index ?? -1 };
      if (info) onClickRef.current(info);
    };
    el.addEventListener("pointerdown", onDown);
    el.addEventListener("pointerup", onUp);
    return () => {
      el.removeEventListener("pointerdown", onDown);
      el.removeEventListener("pointerup", onUp);
      if (paintRaf !== null) cancelAnimationFrame(paintRaf);
      requestPaintRef.current = () => {};
      deck.finalize();
      deckRef.current = null;
      pointsGl.destroy();
      pointsGlRef.current = null;
      baseCanvas.remove();
      cellsCanvas.remove();
      pointsCanvas.remove();
      staticRef.current = null;
    };
  }, []);

  const onClickRef = useRef<(info: PickingInfo) => void>(() => {});
  const lastPickRef = useRef<{ layer: string | null; index: number } | null>(null);
  onClickRef.current = (info: PickingInfo) => {
    if (!info.layer) return;
    if (info.layer.id === "gateways" && info.object) {
      setSelectedGw(info.object as MapGateway);
    }
  };
  const onMeterClickRef = useRef<(index: number) => void>(() => {});
  onMeterClickRef.current = (index: number) => {
    const i = pointsRef.current?.indices[index]; // the sprites are a selection, not the fleet
    const id = i === undefined ? undefined : fleetRef.current?.ids[i];
    if (id) setSelectedMeter(id);
  };
  const onCellClickRef = useRef<(cell: CellDonut) => void>(() => {});
  onCellClickRef.current = (cell: CellDonut) => {
    setView((v) => ({ ...v, longitude: cell.position[0], latitude: cell.position[1], zoom: Math.min(20, v.zoom + 2) }));
  };

  // Layers. Points mode draws the meters around the viewport only (lib/map/points.ts),
  // reselected when the view leaves a 3x margin or the zoom moves a level.
  const pointsRef = useRef<PointsSelection | null>(null);
  const points = useMemo(() => {
    const f = fleetRef.current;
    if (mode !== "points" || !f) return (pointsRef.current = null);
    const b = bboxOf(view, size.width, size.height);
    if (!isSelectionCurrent(pointsRef.current, b, view.zoom)) pointsRef.current = selectPoints(f.lon, f.lat, padBox(b, 3), view.zoom);
    return pointsRef.current;
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [mode, view, size, fleetCount, statesLoaded]);

  // Donuts only when the cells or the legend change (not on every render).
  const donuts = useMemo(() => cellDonuts(cells, visible), [cells, visible]);

  // A selection's positions are uploaded once (a pan inside the margin uploads nothing); colours are regathered per change.
  const pointColors = useMemo(() => {
    const a = arraysRef.current;
    return points && a ? gatherColors(points.indices, a.colors) : null;
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [points, colorsVersion]);

  // The bundled basemap is drawn on its canvas (not with a tile server: tiles are a deck layer).
  useEffect(() => {
    const statics = staticRef.current;
    if (!statics) return;
    statics.basemap = tileUrl ? null : basemap;
    requestPaintRef.current();
  }, [basemap, tileUrl]);

  // Deck's layers: not touched by live batches, so a batch never redraws them.
  useEffect(() => {
    const deck = deckRef.current;
    if (!deck) return;
    const f = fleetRef.current;
    const layers: unknown[] = [];
    if (tileUrl) {
      layers.push(new TileLayer({
        id: "tiles",
        data: tileUrl,
        minZoom: 0,
        maxZoom: 19,
        tileSize: 256,
        renderSubLayers: (props) => {
          const bb = props.tile.boundingBox;
          return new BitmapLayer(props, { data: undefined, image: props.data, bounds: [bb[0][0], bb[0][1], bb[1][0], bb[1][1]] });
        },
      }));
    }
    layers.push(new ScatterplotLayer({
      id: "gateways", data: gateways, pickable: true, radiusUnits: "pixels", stroked: true, lineWidthUnits: "pixels",
      getPosition: (g: MapGateway) => [g.lon, g.lat], getRadius: (g: MapGateway) => 4 + Math.min(14, Math.sqrt(g.meters) / 3),
      getFillColor: (g: MapGateway) => gatewayColor(g), getLineColor: (g: MapGateway) => (g.gw === selectedGw?.gw ? [240, 183, 47, 255] : [13, 17, 23, 255]),
      getLineWidth: (g: MapGateway) => (g.gw === selectedGw?.gw ? 3 : 1), visible: view.zoom >= 6 || gateways.length < 500,
      updateTriggers: { getLineColor: selectedGw?.gw, getLineWidth: selectedGw?.gw },
    }));
    if (gwIndices && f && gwIndices.length) {
      const pos = new Float32Array(gwIndices.length * 2);
      gwIndices.forEach((i, k) => {
        pos[2 * k] = f.lon[i]!;
        pos[2 * k + 1] = f.lat[i]!;
      });
      layers.push(new ScatterplotLayer({
        id: "gateway-meters", data: { length: gwIndices.length, attributes: { getPosition: { value: pos, size: 2 } } },
        radiusUnits: "pixels", getRadius: 6, filled: false, stroked: true, getLineColor: [240, 183, 47, 255], lineWidthUnits: "pixels", getLineWidth: 1.5,
      }));
    }
    const sel = selectedMeter && f ? f.indexOf(selectedMeter) : undefined;
    if (sel !== undefined && f) {
      layers.push(new ScatterplotLayer({
        id: "selected-meter", data: [{ p: [f.lon[sel]!, f.lat[sel]!] }], getPosition: (d: { p: [number, number] }) => d.p, radiusUnits: "pixels",
        getRadius: 10, filled: false, stroked: true, getLineColor: [240, 183, 47, 255], lineWidthUnits: "pixels", getLineWidth: 2.5,
      }));
    }
    deck.setProps({ layers: layers as never, viewState: view });
  }, [view, tileUrl, gateways, gwIndices, selectedGw, selectedMeter, fleetCount]);

  // The map's own layers: the clusters or the meters of the view, painted in the next
  // animation frame (and in deck's frame whenever the view moves).
  useEffect(() => {
    const statics = staticRef.current;
    const pointsGl = pointsGlRef.current;
    const vp = viewportOf(deckRef.current);
    if (statics) statics.cells = mode === "cells" ? donuts : NO_CELLS;
    if (pointsGl && vp) {
      pointsGl.setSelection(mode === "points" ? points : null, vp);
      if (pointColors) pointsGl.setColors(pointColors);
    }
    if (appliedTracesRef.current.length) drawingTracesRef.current.push(...appliedTracesRef.current.splice(0));
    requestPaintRef.current();
  }, [mode, donuts, points, pointColors, deckReady]);

  function stateOfMeter(id: string): MapState | "excluded" | null {
    const i = fleetRef.current?.indexOf(id);
    const a = arraysRef.current;
    if (i === undefined || !a) return null;
    const s = a.states[i]!;
    return s === EXCLUDED ? "excluded" : MAP_STATES[s]!;
  }

  // Test and bench hook: what the map draws, read by e2e and scripts/bench-map.ts.
  useEffect(() => {
    (window as unknown as { __amiMap?: unknown }).__amiMap = {
      stateOf: stateOfMeter,
      project(id: string): [number, number] | null {
        const f = fleetRef.current;
        const i = f?.indexOf(id);
        if (!f || i === undefined) return null;
        const vp = new WebMercatorViewport({ ...viewRef.current, width: containerRef.current?.clientWidth ?? 0, height: containerRef.current?.clientHeight ?? 0 });
        const [x, y] = vp.project([f.lon[i]!, f.lat[i]!]);
        return [x!, y!];
      },
      ids(limit = 10): string[] {
        return fleetRef.current?.ids.slice(0, limit) ?? [];
      },
      zoomTo(id: string, zoom: number): boolean {
        const f = fleetRef.current;
        const i = f?.indexOf(id);
        if (!f || i === undefined) return false;
        setView((v) => ({ ...v, longitude: f.lon[i]!, latitude: f.lat[i]!, zoom }));
        return true;
      },
      lastPick: () => lastPickRef.current,
      draws: () => ({ basemap: staticRef.current?.draws.basemap ?? 0, cells: staticRef.current?.draws.cells ?? 0, points: pointsGlRef.current?.draws ?? 0, data: drawCountRef.current.data }),
      trace: (id: string) => traceRef.current.get(id) ?? null,
      mode: () => containerRef.current?.closest("[data-mode]")?.getAttribute("data-mode") ?? null,
    };
  }, []);

  function setStateVisible(s: MapState) {
    setFilters((f) => {
      const current = f.states.length ? f.states : [...MAP_STATES];
      const next = current.includes(s) ? current.filter((x) => x !== s) : [...current, s];
      return { ...f, states: next.length === MAP_STATES.length || next.length === 0 ? [] : MAP_STATES.filter((x) => next.includes(x)) };
    });
  }

  function onSearch(e: React.FormEvent) {
    e.preventDefault();
    const q = search.trim().toUpperCase();
    setSearchMsg(null);
    if (!q) return;
    const f = fleetRef.current;
    const i = f?.indexOf(q);
    if (f && i !== undefined) {
      setSelectedMeter(q);
      setView((v) => ({ ...v, longitude: f.lon[i]!, latitude: f.lat[i]!, zoom: Math.max(v.zoom, 13), transitionDuration: 0 }));
      return;
    }
    const g = gateways.find((x) => x.gw.toUpperCase() === q);
    if (g) {
      setSelectedGw(g);
      setView((v) => ({ ...v, longitude: g.lon, latitude: g.lat, zoom: Math.max(v.zoom, 11) }));
      return;
    }
    setSearchMsg(`No meter or gateway ${q} in the fleet (with the current filters).`);
  }

  const shown = counts.reduce((acc, n, s) => acc + (visible[s] ? n : 0), 0);
  const total = counts.reduce((acc, n) => acc + n, 0);
  const lines = detail ? [...liveLines, ...detail.lines] : liveLines;

  return (
    <div className={styles.wrap} data-testid="fleet-map" data-mode={mode} data-shown={shown} data-in-view={inView} data-live={live.connected ? "on" : "off"} data-fleet-count={fleetCount ?? ""}>
      <form className={styles.toolbar} onSubmit={onSearch} role="search">
        <h1>Fleet map</h1>
        <label>
          Find meter or gateway
          <input value={search} onChange={(e) => setSearch(e.target.value)} placeholder="EM-0012345 or GW-0042" style={{ width: 170 }} data-testid="map-search" aria-label="Find meter or gateway" />
        </label>
        <button type="submit" data-testid="map-search-go">Go</button>
        <label>
          Fault code
          <select style={{ width: 120 }} value={filters.fault ?? ""} onChange={(e) => setFilters((f) => ({ ...f, fault: e.target.value || undefined }))} data-testid="filter-fault">
            <option value="">any</option>
            {faultCodes.map((c) => <option key={c} value={c}>{c}</option>)}
          </select>
        </label>
        <label>
          Kind
          <select value={filters.kind ?? ""} onChange={(e) => setFilters((f) => ({ ...f, kind: e.target.value || undefined }))} data-testid="filter-kind">
            <option value="">any</option>
            <option value="electric">electric</option>
            <option value="gas">gas</option>
            <option value="water">water</option>
          </select>
        </label>
        <TextFilter label="Gateway" value={filters.gw} testId="filter-gw" placeholder="GW-0042" onCommit={(v) => setFilters((f) => ({ ...f, gw: v }))} />
        <TextFilter label="Firmware metr./comms" value={filters.fw} testId="filter-fw" placeholder="1.2.0/3.1.0" onCommit={(v) => setFilters((f) => ({ ...f, fw: v && v.includes("/") ? v : v ? `${v}/` : undefined }))} />
        <TextFilter label="Climate zone" value={filters.zone} testId="filter-zone" placeholder="zone" onCommit={(v) => setFilters((f) => ({ ...f, zone: v }))} />
        <label>
          Last fault
          <select value={filters.since ?? ""} onChange={(e) => setFilters((f) => ({ ...f, since: e.target.value || undefined }))} data-testid="filter-since">
            <option value="">any time</option>
            <option value="1h">1 hour</option>
            <option value="24h">24 hours</option>
            <option value="7d">7 days</option>
            <option value="30d">30 days</option>
          </select>
        </label>
        {(filters.fault || filters.kind || filters.gw || filters.fw || filters.zone || filters.model || filters.since || filters.states.length > 0) && (
          <button type="button" onClick={() => setFilters({ states: [] })} data-testid="filter-clear">Clear filters</button>
        )}
      </form>
      {searchMsg && <div className="notice" data-testid="map-search-message">{searchMsg}</div>}
      {error && <div className="notice error" role="alert" data-testid="map-error">{error}</div>}
      <div className={styles.stage}>
        <div ref={containerRef} className={styles.canvas} data-testid="map-canvas" />
        {fleetCount === 0 && (
          <div className={styles.overlayMsg}>
            <div className="empty" data-testid="empty-state" style={{ background: "var(--bg-raised)" }}>
              <strong>No meters yet</strong>
              Import a fleet with <code>npm run fleet:import</code>, or start the demo with <code>npm run demo</code>. Meters appear here as soon as the fleet is synced; their colours follow the audit log ingested from the HES.
            </div>
          </div>
        )}
        <div className={styles.status} data-testid="live-indicator" data-lag={live.lagMs ?? ""}>
          <span className={styles.dot} data-on={live.connected} />
          {live.connected ? <>Live{live.lagMs !== null ? ` · lag ${live.lagMs} ms` : ""}</> : "Not live"}
          <span className="muted">· {mode === "cells" ? "cells" : "meters"} · {formatCount(inView)} in view</span>
        </div>
        <div className={styles.legend} data-testid="legend" aria-label="Legend and state filter">
          <strong style={{ fontSize: 12 }}>Meters by state <span className="muted" data-testid="legend-total">{shown.toLocaleString("en-US")} shown of {total.toLocaleString("en-US")}</span></strong>
          {MAP_STATES.map((s, i) => (
            <button key={s} type="button" aria-pressed={visible[i]} onClick={() => setStateVisible(s)} data-testid={`legend-${s}`} data-count={counts[i]} title={visible[i] ? "Hide these meters" : "Show these meters"}>
              <span className={styles.swatch} style={{ background: `rgb(${MAP_STATE_COLORS[s].join(",")})` }} />
              {MAP_STATE_LABELS[s]}
              <span className={styles.count}>{counts[i]!.toLocaleString("en-US")}</span>
            </button>
          ))}
          <span className="muted" style={{ fontSize: 11 }}>Stale = not heard for {Math.round(staleAfterMs / 3_600_000)} h. Click to show/hide.</span>
        </div>
        {selectedGw && (
          <div className={styles.gwpanel} data-testid="gateway-panel">
            <strong>{selectedGw.gw}</strong> <span className="muted">{selectedGw.name}</span>
            <div>{selectedGw.meters.toLocaleString("en-US")} meters · {selectedGw.unhealthy.toLocaleString("en-US")} unhealthy ({selectedGw.meters ? Math.round((100 * selectedGw.unhealthy) / selectedGw.meters) : 0} %)</div>
            <div className="row" style={{ marginTop: 4 }}>
              <button type="button" onClick={() => setFilters((f) => ({ ...f, gw: selectedGw.gw }))}>Only this gateway</button>
              {canSchedule && <a className="button" href={`/campaigns/new?jobType=rf_analysis&gw=${encodeURIComponent(selectedGw.gw)}`}>Schedule diagnostics</a>}
              <button type="button" onClick={() => setSelectedGw(null)} aria-label="Close gateway">×</button>
            </div>
          </div>
        )}
        {selectedMeter && (
          <aside className={styles.drawer} data-testid="meter-drawer" aria-label={`Meter ${selectedMeter}`}>
            <div className="row">
              <h2 data-testid="drawer-meter-id">{selectedMeter}</h2>
              <span className="spacer" />
              <button type="button" onClick={() => setSelectedMeter(null)} data-testid="drawer-close" aria-label="Close">×</button>
            </div>
            {!detail ? (
              <p className="muted">Loading…</p>
            ) : (
              <>
                <div className="row">
                  {(() => {
                    const s = stateOfMeter(selectedMeter);
                    return s && s !== "excluded" ? <span className="badge" data-testid="drawer-state" data-state={s}>{MAP_STATE_LABELS[s]}</span> : null;
                  })()}
                  {detail.actions.map((a) => (
                    <a key={a.href} className="button primary" href={a.href} data-testid={a.testId}>{a.label}</a>
                  ))}
                </div>
                <dl>
                  <dt>Kind / model</dt><dd>{detail.fleet.kind} · {detail.fleet.model}</dd>
                  <dt>Location</dt><dd>{detail.fleet.lat.toFixed(5)}, {detail.fleet.lon.toFixed(5)} · {detail.fleet.zone} · {detail.fleet.timezone}</dd>
                  <dt>Gateway</dt><dd>{detail.state?.gw || detail.fleet.gw}</dd>
                  <dt>Firmware</dt><dd>{detail.state?.fw_metrology || detail.fleet.fw_metrology} / {detail.state?.fw_comms || detail.fleet.fw_comms}</dd>
                  <dt>Cert expires</dt><dd>{formatTime(detail.state?.cert_not_after ?? detail.fleet.cert_not_after)}</dd>
                  <dt>Last seen</dt><dd>{formatTime(detail.state?.last_seen)}</dd>
                  <dt>LED</dt><dd>{detail.state?.led || "—"}</dd>
                  <dt>Open fault</dt><dd>{detail.state?.fault_code ? `${detail.state.fault_code} (${detail.state.fault_sev})` : "none"}</dd>
                  <dt>RSSI / LQI / SNR</dt><dd>{detail.state?.rssi ?? "—"} dBm / {detail.state?.lqi ?? "—"} / {detail.state?.snr ?? "—"} dB</dd>
                  <dt>Temp / battery</dt><dd>{detail.state?.temp_c ?? "—"} °C / {detail.state?.battery_v ?? "—"} V</dd>
                  <dt>Installed</dt><dd>{detail.fleet.installed_at} · HES {detail.fleet.hes_version}</dd>
                </dl>
                <h3 style={{ fontSize: 14, margin: "10px 0 4px" }}>Maintenance jobs</h3>
                {detail.jobs === null ? (
                  <p className="muted" data-testid="drawer-jobs-unavailable">Maintenance jobs are not available in this deployment yet.</p>
                ) : detail.jobs.length === 0 ? (
                  <p className="muted" data-testid="drawer-jobs-empty">No campaign or work order has touched this meter.</p>
                ) : (
                  <ul className={styles.timeline} data-testid="drawer-jobs">
                    {detail.jobs.map((j) => <li key={j.source + j.id}>{formatTime(j.at)} · {j.jobType} · {j.name} · {j.status}</li>)}
                  </ul>
                )}
                <h3 style={{ fontSize: 14, margin: "10px 0 4px" }}>Audit lines <span className="muted">(latest first)</span></h3>
                {lines.length === 0 ? (
                  <p className="muted">No audit lines for this meter yet.</p>
                ) : (
                  <ul className={styles.timeline} data-testid="drawer-lines">
                    {lines.map((l, k) => (
                      <li key={k} data-testid="drawer-line">
                        <span className="mono">{formatTime(l.ts)}</span> <span className={`sev-${l.sev}`}>{l.code}</span> {l.sev}
                        {l.led ? <> · LED {l.led}</> : null}
                        {l.step ? <> · {l.step}</> : null}
                        {l.msg ? <div className="muted">{l.msg}</div> : null}
                      </li>
                    ))}
                  </ul>
                )}
                <a href={`/logs?q=${encodeURIComponent(`meter:${selectedMeter}`)}`}>All lines in the log explorer</a>
              </>
            )}
          </aside>
        )}
      </div>
    </div>
  );
}

function TextFilter({ label, value, testId, placeholder, onCommit }: { label: string; value?: string; testId: string; placeholder: string; onCommit: (v: string | undefined) => void }) {
  const [text, setText] = useState(value ?? "");
  useEffect(() => setText(value ?? ""), [value]);
  return (
    <label>
      {label}
      <input
        value={text}
        placeholder={placeholder}
        style={{ width: 110 }}
        data-testid={testId}
        onChange={(e) => setText(e.target.value)}
        onBlur={() => onCommit(text.trim() || undefined)}
        onKeyDown={(e) => {
          if (e.key === "Enter") {
            e.preventDefault();
            onCommit(text.trim() || undefined);
          }
        }}
      />
    </label>
  );
}
