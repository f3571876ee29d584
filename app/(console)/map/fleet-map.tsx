"use client";
// The live fleet map. Data path (lib/map/binary.ts, use-map-data.ts): the fleet's ids +
// positions once per fleet version (ETag), one state byte per meter per filter change,
// then only live deltas over socket.io (room `fleet`, use-live-updates.ts), applied to
// typed arrays once per animation frame. Low zoom draws cells aggregated in ClickHouse
// (/api/map/cells); the canvases are use-map-canvases.ts.
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import type { MapViewState } from "@deck.gl/core";
import type { Role } from "@/lib/auth/permissions";
import { loadBasemapPaths, type BasemapPaths } from "@/lib/map/browser/basemap";
import { GZIP_BODY_HEADERS, decodeIndexList, readBinaryBody } from "@/lib/map/binary";
import { formatCount } from "@/lib/map/browser/layers";
import { serializeMapFilters, type MapViewParam } from "@/lib/map/search-params";
import { EXCLUDED, MAP_STATES, type FleetExtent, type MapFilters, type MapGateway, type MapState } from "@/lib/map/types";
import styles from "./fleet-map.module.css";
import { GatewayPanel } from "./gateway-panel";
import { MapControls } from "./map-controls";
import { MapLegend } from "./map-legend";
import { MapToolbar } from "./map-toolbar";
import { MeterDrawer } from "./meter-drawer";
import { useLiveUpdates } from "./use-live-updates";
import { useMapCanvases } from "./use-map-canvases";
import { reportFetchError, useMapData } from "./use-map-data";
import { useMeterDetail } from "./use-meter-detail";
import { INITIAL_VIEW, panBy, zoomBy } from "./view";

interface Props {
  initialFilters: MapFilters;
  initialMeter: string | null;
  /** A view from the link (`at=`): shown as is, not fitted to the fleet. */
  initialView: MapViewParam | null;
  role: Role;
  canSchedule: boolean;
  faultCodes: string[];
  tileUrl: string | null;
  staleAfterMs: number;
  /** The filtered fleet's box and count, streamed after the page: the first view and cells need no positions payload. */
  initialExtent: Promise<FleetExtent | null>;
  /** Gateways with a firing alert (marked in a list over the map and in the gateway panel). */
  firingGateways?: Array<{ gw: string; alertId: string; ruleName: string; severity: string }>;
}

/** Arrow keys move the view by this share of its size. */
const PAN_SHARE = 0.25;

export function FleetMap({ initialFilters, initialMeter, initialView, canSchedule, faultCodes, tileUrl, staleAfterMs, initialExtent, firingGateways = [] }: Props) {
  const [filters, setFilters] = useState<MapFilters>(initialFilters);
  const [view, setView] = useState<MapViewState>(initialView ? { ...INITIAL_VIEW, ...initialView } : INITIAL_VIEW);
  const [size, setSize] = useState({ width: 800, height: 600 });
  const [basemap, setBasemap] = useState<BasemapPaths | null>(null);
  const [selectedMeter, setSelectedMeter] = useState<string | null>(initialMeter);
  const [selectedGw, setSelectedGw] = useState<MapGateway | null>(null);
  const [gwIndices, setGwIndices] = useState<Uint32Array | null>(null);
  const [searchMsg, setSearchMsg] = useState<string | null>(null);
  const containerRef = useRef<HTMLDivElement>(null);
  const selectedRef = useRef(selectedMeter);
  selectedRef.current = selectedMeter;
  const userMovedRef = useRef(initialView !== null);

  const visible = useMemo(() => MAP_STATES.map((s) => filters.states.length === 0 || filters.states.includes(s)), [filters.states]);
  const data = useMapData({ filters, visible, view, setView, size, containerRef, selectedRef, userMovedRef, hasInitialMeter: initialMeter !== null, extentPromise: initialExtent });
  const { store } = data;
  const { live, socketRef } = useLiveUpdates({
    store,
    selectedRef,
    setCounts: data.setCounts,
    setCells: data.setCells,
    bumpColors: data.bumpColors,
    onMeterLines: (l) => addLiveLines(l),
  });
  const { detail, lines, addLiveLines } = useMeterDetail(selectedMeter, socketRef, data.setError);

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
    loadBasemapPaths()
      .then((b) => !cancelled && setBasemap(b))
      .catch((e) => reportFetchError(e));
    return () => {
      cancelled = true;
    };
  }, [tileUrl]);

  // Selected gateway: its meters' indices for the outline layer.
  useEffect(() => {
    if (!selectedGw) {
      setGwIndices(null);
      return;
    }
    const ctrl = new AbortController();
    fetch(`/api/map/gateway-meters?gw=${encodeURIComponent(selectedGw.gw)}`, { signal: ctrl.signal, headers: GZIP_BODY_HEADERS })
      .then((r) => (r.ok ? readBinaryBody(r) : Promise.reject(new Error(`gateway meters: ${r.status}`))))
      .then((b) => setGwIndices(decodeIndexList(b)))
      .catch((e) => reportFetchError(e, ctrl.signal));
    return () => ctrl.abort();
  }, [selectedGw]);

  useMapCanvases({
    containerRef,
    store,
    view,
    setView,
    userMovedRef,
    size,
    mode: data.mode,
    cells: data.cells,
    visible,
    colorsVersion: data.colorsVersion,
    fleetCount: data.fleetCount,
    statesLoaded: data.statesLoaded,
    basemap,
    tileUrl,
    gateways: data.gateways,
    selectedGw,
    gwIndices,
    selectedMeter,
    onMeter: setSelectedMeter,
    onGateway: setSelectedGw,
    onCell: (cell) => setView((v) => ({ ...v, longitude: cell.position[0], latitude: cell.position[1], zoom: Math.min(20, v.zoom + 2) })),
  });

  function stateOfMeter(id: string): MapState | "excluded" | null {
    const i = store.fleet?.indexOf(id);
    const a = store.arrays;
    if (i === undefined || !a) return null;
    const s = a.states[i]!;
    return s === EXCLUDED ? "excluded" : MAP_STATES[s]!;
  }

  function setStateVisible(s: MapState) {
    setFilters((f) => {
      const current = f.states.length ? f.states : [...MAP_STATES];
      const next = current.includes(s) ? current.filter((x) => x !== s) : [...current, s];
      return { ...f, states: next.length === MAP_STATES.length || next.length === 0 ? [] : MAP_STATES.filter((x) => next.includes(x)) };
    });
  }

  function onSearch(text: string) {
    const q = text.trim().toUpperCase();
    setSearchMsg(null);
    if (!q) return;
    const f = store.fleet;
    const i = f?.indexOf(q);
    if (f && i !== undefined) {
      setSelectedMeter(q);
      setView((v) => ({ ...v, longitude: f.lon[i]!, latitude: f.lat[i]!, zoom: Math.max(v.zoom, 13), transitionDuration: 0 }));
      return;
    }
    const g = data.gateways.find((x) => x.gw.toUpperCase() === q);
    if (g) {
      setSelectedGw(g);
      setView((v) => ({ ...v, longitude: g.lon, latitude: g.lat, zoom: Math.max(v.zoom, 11) }));
      return;
    }
    setSearchMsg(`No meter or gateway ${q} in the fleet (with the current filters).`);
  }

  const zoom = useCallback((dz: number) => {
    userMovedRef.current = true;
    setView((v) => zoomBy(v, dz));
  }, []);

  // Keys on the focused map: + / - zoom, arrows pan.
  function onKeyDown(e: React.KeyboardEvent) {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const { width, height } = size;
    const step = { ArrowLeft: [-PAN_SHARE * width, 0], ArrowRight: [PAN_SHARE * width, 0], ArrowUp: [0, -PAN_SHARE * height], ArrowDown: [0, PAN_SHARE * height] }[e.key];
    if (step) {
      userMovedRef.current = true;
      setView((v) => panBy(v, step[0]!, step[1]!, width, height));
    } else if (e.key === "+" || e.key === "=") zoom(1);
    else if (e.key === "-" || e.key === "_") zoom(-1);
    else return;
    e.preventDefault();
  }

  const shown = data.counts.reduce((acc, n, s) => acc + (visible[s] ? n : 0), 0);
  const { mode, inView, fleetCount } = data;

  return (
    <div
      className={styles.wrap}
      data-testid="fleet-map"
      data-mode={mode}
      data-shown={shown}
      data-in-view={inView}
      data-live={live.connected ? "on" : "off"}
      data-fleet-count={fleetCount ?? ""}
    >
      <MapToolbar filters={filters} setFilters={setFilters} faultCodes={faultCodes} onSearch={onSearch} />
      {searchMsg && (
        <div className="notice" data-testid="map-search-message">
          {searchMsg}
        </div>
      )}
      {data.error && (
        <div className="notice error" role="alert" data-testid="map-error">
          {data.error}
        </div>
      )}
      <div className={styles.stage}>
        <div
          ref={containerRef}
          className={styles.canvas}
          data-testid="map-canvas"
          tabIndex={0}
          onKeyDown={onKeyDown}
          aria-label="Fleet map: + and - zoom, the arrow keys pan"
          role="application"
        />
        {fleetCount === 0 && (
          <div className={styles.overlayMsg}>
            <div className="empty" data-testid="empty-state" style={{ background: "var(--bg-raised)" }}>
              <strong>No meters yet</strong>
              Import a fleet with <code>npm run fleet:import</code>, or start the demo with <code>npm run demo</code>. Meters appear here as soon as the fleet is synced; their
              colours follow the audit log ingested from the HES.
            </div>
          </div>
        )}
        <div className={styles.status} data-testid="live-indicator" data-lag={live.lagMs ?? ""}>
          <span className={styles.dot} data-on={live.connected} />
          {live.connected ? <>Live{live.lagMs !== null ? ` · lag ${live.lagMs} ms` : ""}</> : "Not live"}
          <span className="muted">
            · {mode === "cells" ? "cells" : "meters"} · {formatCount(inView)} in view
          </span>
        </div>
        <MapControls
          onZoom={zoom}
          onFit={() => {
            userMovedRef.current = true;
            data.fitFleet();
          }}
        />
        <MapLegend counts={data.counts} visible={visible} staleAfterMs={staleAfterMs} onToggle={setStateVisible} />
        {!tileUrl && <div className={styles.attribution}>Borders: Natural Earth, US Census · Towns: GeoNames (CC BY 4.0)</div>}
        {firingGateways.length > 0 && (
          <div className={styles.alertMarks} data-testid="map-firing-gateways">
            <strong>Firing alerts</strong>
            {firingGateways.slice(0, 10).map((f) => (
              <a
                key={f.alertId}
                href={`/alerts?view=firing&alert=${encodeURIComponent(f.alertId)}`}
                className={`al-sev-${f.severity}`}
                data-testid="map-firing-gateway"
                data-gw={f.gw}
              >
                ● {f.gw}: {f.ruleName}
              </a>
            ))}
          </div>
        )}
        {selectedGw && (
          <GatewayPanel
            gateway={selectedGw}
            filters={filters}
            canSchedule={canSchedule}
            setFilters={setFilters}
            onClose={() => setSelectedGw(null)}
            alerts={firingGateways.filter((f) => f.gw === selectedGw.gw)}
          />
        )}
        {selectedMeter && <MeterDrawer meter={selectedMeter} detail={detail} lines={lines} state={stateOfMeter(selectedMeter)} onClose={() => setSelectedMeter(null)} />}
      </div>
    </div>
  );
}
