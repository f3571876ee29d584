// The demo's world: the generated fleet plus three scripted incidents that stand out on
// every page against a quiet background (the stream's "fleet" density): RF interference
// behind one gateway, a firmware pair that fails on one model, and a storm with last gasps
// in one climate zone. Times are relative to `now` (the end of the seeded history).
import { findGatewayIndex, isFirmwarePairCompatible, type Fleet } from "./fleet";
import type { Scenario } from "./scenario";
import { createWorld, type World } from "./world";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** History the demo seeds: fifteen days, so a 24 h window has its 7-day baseline and a 7-day window a full previous week. */
export const DEMO_HISTORY_MS = 15 * DAY;
/** Ongoing incidents last this long past `now` (until a fix), so a restarted demo still shows them. */
const ONGOING_MS = 30 * DAY;
export const DEMO_INTERFERENCE_GATEWAY = "GW-0042";
export const DEMO_STORM_ZONE = "hot-humid";
const BAD_PAIR = { metrology: "3.4.1", comms: "5.4.2" } as const;

export interface DemoIncidents {
  gateway: string;
  model: string;
  pair: { metrology: string; comms: string };
  zone: string;
  /** Epoch ms. */
  interferenceFrom: number;
  firmwareFrom: number;
  stormFrom: number;
  stormTo: number;
}

/** Which gateway, model and zone the incidents hit in this fleet. */
export function describeDemoIncidents(fleet: Fleet, now: number): DemoIncidents {
  // GW-0042 when it serves enough meters to be seen; in a small fleet, a gateway of about 100
  // meters (a big one would lift every model and zone it spans and hide the other incidents).
  const named = findGatewayIndex(fleet, DEMO_INTERFERENCE_GATEWAY);
  const target = Math.max(100, fleet.meters.count * 0.015);
  const gateway =
    named >= 0 && fleet.gateways[named]!.meterCount >= 100
      ? DEMO_INTERFERENCE_GATEWAY
      : [...fleet.gateways].sort((a, b) => Math.abs(a.meterCount - target) - Math.abs(b.meterCount - target) || a.id.localeCompare(b.id))[0]!.id;
  // The model with the most meters on the bad pair: the cohort is large enough to see.
  const mi = fleet.metrologyVersions.indexOf(BAD_PAIR.metrology);
  const ci = fleet.commsVersions.indexOf(BAD_PAIR.comms);
  const perModel = new Array<number>(fleet.models.length).fill(0);
  const m = fleet.meters;
  for (let i = 0; i < m.count; i++) if (m.fwMetrology[i] === mi && m.fwComms[i] === ci) perModel[m.model[i]!]!++;
  const model = fleet.models[perModel.indexOf(Math.max(...perModel))]!.id;
  if (isFirmwarePairCompatible(BAD_PAIR.metrology, BAD_PAIR.comms)) throw new Error("demo: the bad pair must be incompatible");
  return {
    gateway,
    model,
    pair: { ...BAD_PAIR },
    zone: DEMO_STORM_ZONE,
    interferenceFrom: now - 10 * HOUR,
    firmwareFrom: now - 20 * HOUR,
    stormFrom: now - 9 * HOUR,
    stormTo: now - 5 * HOUR,
  };
}

export function createDemoScenario(fleet: Fleet, now: number): { scenario: Scenario; start: number; incidents: DemoIncidents } {
  const incidents = describeDemoIncidents(fleet, now);
  const start = now - DEMO_HISTORY_MS;
  const at = (t: number) => t - start;
  const scenario: Scenario = {
    name: "demo",
    description: `interference near ${incidents.gateway}, ${incidents.pair.metrology}+${incidents.pair.comms} on ${incidents.model}, storm over ${incidents.zone}`,
    events: [
      { event: "interference", gateway: incidents.gateway, at: at(incidents.interferenceFrom), duration: now + ONGOING_MS - incidents.interferenceFrom, severity: 0.9 },
      {
        event: "firmware_cohort",
        metrology: incidents.pair.metrology,
        comms: incidents.pair.comms,
        model: incidents.model,
        at: at(incidents.firmwareFrom),
        duration: now + ONGOING_MS - incidents.firmwareFrom,
        severity: 0.9,
      },
      { event: "storm", zone: DEMO_STORM_ZONE, at: at(incidents.stormFrom), duration: incidents.stormTo - incidents.stormFrom, severity: 0.9 },
    ],
  };
  return { scenario, start, incidents };
}

/** The demo world over `fleet`, its incidents placed relative to `now`. */
export function createDemoWorld(fleet: Fleet, now: number): World {
  const { scenario, start } = createDemoScenario(fleet, now);
  return createWorld({ fleet, seed: fleet.seed, scenario, scenarioStart: start });
}
