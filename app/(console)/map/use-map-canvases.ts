"use client";
// The map's canvases, bottom to top: the basemap (Canvas 2D, lib/map/browser/canvas2d.ts), the
// single meters (WebGL sprites, lib/map/browser/points-gl.ts), deck.gl's (the view controller,
// tiles, gateways and the selection outlines, so a gateway and a selected set are
// drawn over their meters) and the clusters (Canvas 2D). A live batch repaints only
// the clusters or the meters, in an animation frame of their own; a view change paints
// them in deck's frame (onBeforeRender), so they move together.
// Drawn as deck layers, every live batch redrew the borders with the data (frame p95
// 233 ms in SwiftShader under 10 000 changes/s, bench:map), each deck.gl program is a
// shader compilation on the first draw, and SwiftShader spent ~20 us per
// ScatterplotLayer instance per frame (3 100 meters: 67-83 ms a frame).
import { useEffect, useMemo, useRef, useState, type RefObject } from "react";
import { Deck, type MapViewState } from "@deck.gl/core";
import { BitmapLayer, ScatterplotLayer } from "@deck.gl/layers";
import { TileLayer } from "@deck.gl/geo-layers";
import type { BasemapPaths } from "@/lib/map/browser/basemap";
import { createOverlayCanvas, pickCell, PICK_SLOP, StaticLayers, type Projector } from "@/lib/map/browser/canvas2d";
import { cellDonuts, mapDeviceProps, type CellDonut } from "@/lib/map/browser/layers";
import { MeterPoints, type PointsViewport } from "@/lib/map/browser/points-gl";
import { gatherColors, isSelectionCurrent, padBox, selectPoints, type PointsSelection } from "@/lib/map/browser/points";
import type { MapCell, MapGateway } from "@/lib/map/types";
import type { MapStore } from "./map-types";
import { bboxOf } from "./view";

/** Outline of a selected set (a searched gateway's meters, the open meter, the gateway itself): white, never a state's colour. */
export const SELECTION_RGB: [number, number, number] = [240, 246, 252];
/** Gateways: violet discs, a colour no meter state uses, so a gateway never reads as a meter. */
export const GATEWAY_RGB: [number, number, number] = [163, 113, 247];

/** The cells canvas's input outside the cluster view (one identity: no redraw per batch). */
const NO_CELLS: CellDonut[] = [];

/** Deck's viewport, or null before deck has one (getViewports asserts until it is initialized). */
function viewportOf(deck: Deck | null): (Projector & PointsViewport) | null {
  if (!deck?.isInitialized) return null;
  return (deck.getViewports()[0] as unknown as (Projector & PointsViewport) | undefined) ?? null;
}

export interface CanvasesInput {
  containerRef: RefObject<HTMLDivElement | null>;
  store: MapStore;
  view: MapViewState;
  setView: (v: MapViewState) => void;
  userMovedRef: RefObject<boolean>;
  size: { width: number; height: number };
  mode: "points" | "cells";
  cells: MapCell[];
  visible: boolean[];
  colorsVersion: number;
  fleetCount: number | null;
  statesLoaded: boolean;
  basemap: BasemapPaths | null;
  tileUrl: string | null;
  gateways: MapGateway[];
  selectedGw: MapGateway | null;
  gwIndices: Uint32Array | null;
  selectedMeter: string | null;
  onMeter: (id: string) => void;
  onGateway: (g: MapGateway) => void;
  onCell: (c: CellDonut) => void;
}

export function useMapCanvases(p: CanvasesInput) {
  const { containerRef, store, view, size, mode } = p;
  const deckRef = useRef<Deck | null>(null);
  const staticRef = useRef<StaticLayers | null>(null);
  const pointsGlRef = useRef<MeterPoints | null>(null);
  const pointsRef = useRef<PointsSelection | null>(null);
  const [deckReady, setDeckReady] = useState(false);
  /** Paints the map's own layers (basemap, clusters, meters) in an animation frame, with deck's viewport. */
  const requestPaintRef = useRef<() => void>(() => {});
  const viewRef = useRef(view);
  viewRef.current = view;
  // The latest handlers, read by the listeners set up once.
  const handlers = useRef(p);
  handlers.current = p;

  useEffect(() => {
    const el = containerRef.current;
    if (!el) return;
    const deviceProps = mapDeviceProps();
    const baseCanvas = createOverlayCanvas("map-basemap");
    const cellsCanvas = createOverlayCanvas("map-cells");
    const pointsCanvas = createOverlayCanvas("map-points");
    el.prepend(baseCanvas);
    baseCanvas.after(pointsCanvas);
    const statics = new StaticLayers(baseCanvas, cellsCanvas);
    staticRef.current = statics;
    const pointsGl = new MeterPoints(pointsCanvas);
    pointsGlRef.current = pointsGl;
    const paint = (vp: Projector & PointsViewport) => {
      statics.sync(vp);
      pointsGl.sync(vp);
    };
    let paintRaf: number | null = null;
    requestPaintRef.current = () => {
      paintRaf ??= requestAnimationFrame(() => {
        paintRaf = null;
        const vp = viewportOf(deckRef.current);
        if (vp) paint(vp); // else deck is not ready yet: its first frame paints them
      });
    };
    const deck = new Deck({
      parent: el,
      id: "map-data",
      width: "100%",
      height: "100%",
      // Keys are the map's own (fleet-map.tsx): the same +/- and arrows whichever element has the focus.
      controller: { keyboard: false },
      viewState: viewRef.current,
      onViewStateChange: ({ viewState, interactionState }) => {
        if (interactionState.isDragging || interactionState.isPanning || interactionState.isZooming || interactionState.isRotating) handlers.current.userMovedRef.current = true;
        handlers.current.setView(viewState as MapViewState);
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
      onLoad: () => setDeckReady(true),
    });
    deckRef.current = deck;
    // Clusters over everything.
    el.append(cellsCanvas);
    // Clicks are picked here, top layer first: the clusters, the gateways (deck's public
    // synchronous pickObject: deck 9.4's async pointer-down picking dropped clicks in
    // headless Chromium, SwiftShader), then the meters on the CPU.
    let down: { x: number; y: number } | null = null;
    const onDown = (e: PointerEvent) => {
      down = { x: e.clientX, y: e.clientY };
    };
    const onUp = (e: PointerEvent) => {
      if (!down || Math.hypot(e.clientX - down.x, e.clientY - down.y) > 4) return; // a drag, not a click
      down = null;
      const r = el.getBoundingClientRect();
      const x = e.clientX - r.left,
        y = e.clientY - r.top;
      const vp = viewportOf(deck);
      const cell = vp ? pickCell(vp, statics.placed, x, y) : null;
      if (cell) return handlers.current.onCell(cell);
      const info = deck.pickObject({ x, y, radius: PICK_SLOP, layerIds: ["gateways"] });
      if (info?.object) return handlers.current.onGateway(info.object as MapGateway);
      const k = pointsGl.pick(x, y);
      const i = k >= 0 ? pointsRef.current?.indices[k] : undefined; // the sprites are a selection, not the fleet
      const id = i === undefined ? undefined : store.fleet?.ids[i];
      if (id) handlers.current.onMeter(id);
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
  }, [containerRef, store]);

  // Points mode draws the meters around the viewport only (lib/map/browser/points.ts),
  // reselected when the view leaves a 3x margin or the zoom moves a level.
  const points = useMemo(() => {
    const f = store.fleet;
    if (mode !== "points" || !f) return (pointsRef.current = null);
    const b = bboxOf(view, size.width, size.height);
    if (!isSelectionCurrent(pointsRef.current, b, view.zoom)) pointsRef.current = selectPoints(f.lon, f.lat, padBox(b, 3), view.zoom);
    return pointsRef.current;
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [mode, view, size, p.fleetCount, p.statesLoaded]);

  // Donuts only when the cells or the legend change (not on every render).
  const donuts = useMemo(() => cellDonuts(p.cells, p.visible), [p.cells, p.visible]);

  // A selection's positions are uploaded once (a pan inside the margin uploads nothing); colours are regathered per change.
  const pointColors = useMemo(() => {
    const a = store.arrays;
    return points && a ? gatherColors(points.indices, a.colors) : null;
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [points, p.colorsVersion]);

  // The bundled basemap is drawn on its canvas (not with a tile server: tiles are a deck layer).
  useEffect(() => {
    const statics = staticRef.current;
    if (!statics) return;
    statics.basemap = p.tileUrl ? null : p.basemap;
    requestPaintRef.current();
  }, [p.basemap, p.tileUrl]);

  // Deck's layers: not touched by live batches, so a batch never redraws them.
  const { tileUrl, gateways, gwIndices, selectedGw, selectedMeter, fleetCount } = p;
  useEffect(() => {
    const deck = deckRef.current;
    if (!deck) return;
    const f = store.fleet;
    const layers: unknown[] = [];
    if (tileUrl) {
      layers.push(
        new TileLayer({
          id: "tiles",
          data: tileUrl,
          minZoom: 0,
          maxZoom: 19,
          tileSize: 256,
          renderSubLayers: (props) => {
            const bb = props.tile.boundingBox;
            return new BitmapLayer(props, { data: undefined, image: props.data, bounds: [bb[0][0], bb[0][1], bb[1][0], bb[1][1]] });
          },
        }),
      );
    }
    if (gwIndices && f && gwIndices.length) {
      const pos = new Float32Array(gwIndices.length * 2);
      gwIndices.forEach((i, k) => {
        pos[2 * k] = f.lon[i]!;
        pos[2 * k + 1] = f.lat[i]!;
      });
      // A halo around each of the searched gateway's meters; the meters keep their state colours.
      layers.push(
        new ScatterplotLayer({
          id: "gateway-meters",
          data: { length: gwIndices.length, attributes: { getPosition: { value: pos, size: 2 } } },
          radiusUnits: "pixels",
          getRadius: 8,
          filled: false,
          stroked: true,
          getLineColor: [...SELECTION_RGB, 230],
          lineWidthUnits: "pixels",
          getLineWidth: 1.5,
        }),
      );
    }
    layers.push(
      new ScatterplotLayer({
        id: "gateways",
        data: gateways,
        pickable: true,
        radiusUnits: "pixels",
        stroked: true,
        lineWidthUnits: "pixels",
        getPosition: (g: MapGateway) => [g.lon, g.lat],
        getRadius: (g: MapGateway) => 4 + Math.min(14, Math.sqrt(g.meters) / 3),
        getFillColor: [...GATEWAY_RGB, 235],
        getLineColor: (g: MapGateway) => (g.gw === selectedGw?.gw ? [...SELECTION_RGB, 255] : [13, 17, 23, 255]),
        getLineWidth: (g: MapGateway) => (g.gw === selectedGw?.gw ? 3 : 1.5),
        // With the single meters only: under the clusters' discs they read as part of a cluster.
        visible: mode === "points",
        updateTriggers: { getLineColor: selectedGw?.gw, getLineWidth: selectedGw?.gw },
      }),
    );
    const sel = selectedMeter && f ? f.indexOf(selectedMeter) : undefined;
    if (sel !== undefined && f) {
      layers.push(
        new ScatterplotLayer({
          id: "selected-meter",
          data: [{ p: [f.lon[sel]!, f.lat[sel]!] }],
          getPosition: (d: { p: [number, number] }) => d.p,
          radiusUnits: "pixels",
          getRadius: 10,
          filled: false,
          stroked: true,
          getLineColor: [...SELECTION_RGB, 255],
          lineWidthUnits: "pixels",
          getLineWidth: 2.5,
        }),
      );
    }
    deck.setProps({ layers: layers as never, viewState: view });
  }, [view, mode, tileUrl, gateways, gwIndices, selectedGw, selectedMeter, fleetCount, store]);

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
    requestPaintRef.current();
  }, [mode, donuts, points, pointColors, deckReady]);
}
