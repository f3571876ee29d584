// Live state deltas: a socket batch is coalesced (last item per meter wins) and
// applied to the typed arrays the layers draw from, once per animation frame.
// No object per point: the state array and the RGBA colour array are written in place.
import { stateAfterLiveItem } from "../state";
import { EXCLUDED, MAP_STATES, MAP_STATE_COLORS, type FleetLiveItem } from "../types";

/** Keep the latest item per meter (by ts when given, else arrival order). */
export function coalesceItems(pending: Map<string, FleetLiveItem>, items: readonly FleetLiveItem[]): void {
  for (const it of items) {
    if (!it || typeof it.meter !== "string") continue;
    const prev = pending.get(it.meter);
    if (prev && prev.ts !== undefined && it.ts !== undefined && it.ts < prev.ts) continue;
    if (!prev) {
      pending.set(it.meter, it);
      continue;
    }
    // Merge so an LED change followed by a fault item in the same batch keeps both facts.
    pending.set(it.meter, { ...prev, ...it, led: it.led || prev.led, code: it.code || prev.code });
  }
}

export interface StateArrays {
  states: Uint8Array;
  /** RGBA per meter, 4 bytes each. */
  colors: Uint8Array;
  /** Per-state visibility (legend filter), indexed like MAP_STATES. */
  visible: boolean[];
  /** Count per state over non-excluded meters, kept in step. */
  counts: number[];
}

export function colorInto(colors: Uint8Array, i: number, state: number, visible: readonly boolean[]): void {
  const o = i * 4;
  if (state === EXCLUDED || !visible[state]) {
    colors[o + 3] = 0;
    return;
  }
  const c = MAP_STATE_COLORS[MAP_STATES[state]!];
  colors[o] = c[0];
  colors[o + 1] = c[1];
  colors[o + 2] = c[2];
  colors[o + 3] = 230;
}

export interface AppliedChange {
  index: number;
  from: number;
  to: number;
}

/** Apply coalesced items; returns what changed (for cell counts and the test hook). */
export function applyPending(pending: Map<string, FleetLiveItem>, indexOf: (meter: string) => number | undefined, a: StateArrays): AppliedChange[] {
  const changed: AppliedChange[] = [];
  for (const [meter, item] of pending) {
    const i = indexOf(meter);
    if (i === undefined) continue;
    const from = a.states[i]!;
    if (from === EXCLUDED) continue; // outside the current filters: the next reload brings it in
    const to = MAP_STATES.indexOf(stateAfterLiveItem(MAP_STATES[from]!, item));
    if (to === from || to < 0) continue;
    a.states[i] = to;
    a.counts[from]!--;
    a.counts[to]!++;
    colorInto(a.colors, i, to, a.visible);
    changed.push({ index: i, from, to });
  }
  pending.clear();
  return changed;
}

export function countStates(states: Uint8Array): number[] {
  const counts = MAP_STATES.map(() => 0);
  for (let i = 0; i < states.length; i++) {
    const s = states[i]!;
    if (s !== EXCLUDED) counts[s]!++;
  }
  return counts;
}
