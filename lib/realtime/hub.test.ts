import { afterEach, describe, expect, it, vi } from "vitest";
import { getHub } from "./hub";
import type { BatchEnvelope } from "./rooms";
import { permissionForRoom } from "./rooms";

afterEach(() => {
  getHub().detach();
  vi.useRealTimers();
});

describe("realtime hub", () => {
  it("batches many publishes into one message per room and event within 250 ms", () => {
    vi.useFakeTimers();
    const sent: { room: string; payload: BatchEnvelope }[] = [];
    getHub().attach({ to: (room) => ({ emit: (_e, payload) => sent.push({ room, payload: payload as BatchEnvelope }) }) });
    for (let i = 0; i < 5000; i++) getHub().publish("fleet", "state", { i });
    getHub().publish("meter:EM-0000001", "line", { x: 1 });
    expect(sent).toHaveLength(0);
    vi.advanceTimersByTime(250);
    expect(sent).toHaveLength(2);
    const fleet = sent.find((s) => s.room === "fleet")!;
    expect(fleet.payload.items).toHaveLength(5000);
    expect((fleet.payload.items[4999] as { i: number }).i).toBe(4999);
    expect(sent.find((s) => s.room === "meter:EM-0000001")!.payload.items).toEqual([{ x: 1 }]);
  });

  it("rooms map to permissions; unknown or malformed rooms map to nothing", () => {
    expect(permissionForRoom("fleet")).toBe("fleet.view");
    expect(permissionForRoom("gw:GW-0042")).toBe("fleet.view");
    expect(permissionForRoom("meter:EM-0012345")).toBe("fleet.view");
    expect(permissionForRoom("ingest")).toBe("ingest.view");
    expect(permissionForRoom("workorders")).toBe("workorders.view");
    expect(permissionForRoom("meter:<script>")).toBeNull();
    expect(permissionForRoom("admin")).toBeNull();
    expect(permissionForRoom("x".repeat(100))).toBeNull();
  });
});
