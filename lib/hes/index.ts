// The head-end the app uses, chosen by env.HES_ADAPTER: the in-memory
// simulator (default, over the demo fleet unless one is given) or a real HES over HTTP.
import { env } from "@/lib/env";
import { AppError } from "@/lib/errors";
import { createDemoWorld } from "@/lib/simulator/demo-world";
import { generateFleet, type Fleet } from "@/lib/simulator/fleet";
import { getSharedWorld } from "@/lib/simulator/world";
import type { HesAdapter } from "./adapter";
import { createHttpHes } from "./http-hes";
import { createSimulatorHes } from "./simulator-hes";

export type { CommandOutcome, HesAdapter, HesCommand, NeighbourEntry, FirmwareHash, Clock } from "./adapter";

export const DEMO_FLEET_SEED = "ami-demo";

const globalForHes = globalThis as unknown as { __amiHes?: HesAdapter };

export interface GetHesOptions {
  /** The fleet the simulator serves; defaults to DEMO_METERS meters with DEMO_FLEET_SEED. */
  fleet?: Fleet;
}

/** The process-wide head-end adapter (created on first use). */
export function getHes(options: GetHesOptions = {}): HesAdapter {
  if (!globalForHes.__amiHes) globalForHes.__amiHes = createHes(options);
  return globalForHes.__amiHes;
}

export function createHes(options: GetHesOptions = {}): HesAdapter {
  if (env.HES_ADAPTER === "http") {
    if (!env.HES_URL) throw new AppError("invalid", "HES_ADAPTER=http needs HES_URL");
    return createHttpHes({ url: env.HES_URL, token: env.HES_TOKEN, timeoutMs: env.HES_TIMEOUT });
  }
  // The demo's world when the demo seeded one (the stream reports its facts); else a demo world of our own.
  const shared = options.fleet ? null : getSharedWorld();
  const fleet = options.fleet ?? shared?.fleet ?? generateFleet({ meters: env.DEMO_METERS, seed: DEMO_FLEET_SEED, now: Date.now() });
  const world = shared ?? createDemoWorld(fleet, Date.now());
  return createSimulatorHes({ fleet, world, seed: DEMO_FLEET_SEED, defaultTimeoutMs: env.HES_TIMEOUT });
}
