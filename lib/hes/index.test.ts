import { describe, expect, it } from "vitest";
import { generateFleet } from "@/lib/simulator/fleet";
import { createWorld, setSharedWorld } from "@/lib/simulator/world";
import { createHes } from "./index";
import { SimulatorHes } from "./simulator-hes";

describe("createHes", () => {
  it("serves the given fleet through the simulator when HES_ADAPTER is unset", async () => {
    const fleet = generateFleet({ meters: 200, seed: 1, now: Date.UTC(2026, 0, 1) });
    const hes = createHes({ fleet });
    expect(hes).toBeInstanceOf(SimulatorHes);
    expect((await hes.getFirmwareHash("EM-0000001")).sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("answers from the demo's shared world when one is set (the world the log stream reports)", async () => {
    const fleet = generateFleet({ meters: 200, seed: 2, now: Date.UTC(2026, 0, 1) });
    const world = createWorld({ fleet });
    setSharedWorld(world);
    try {
      const hes = createHes() as SimulatorHes;
      expect(hes.world).toBe(world);
      expect(hes.fleet).toBe(fleet);
    } finally {
      setSharedWorld(null);
    }
  });
});
