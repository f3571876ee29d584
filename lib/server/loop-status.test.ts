import { describe, expect, it } from "vitest";
import { getDegradedLoops, getLoopStatus, recordLoopError, recordLoopOk } from "./loop-status";

describe("background loop status", () => {
  it("a failing loop is degraded in its own area from its first failure until a round goes through", () => {
    recordLoopError("test-maintenance", "plan runner", new Error("database went away\nstack"));
    const since = getLoopStatus("test-maintenance", "plan runner").degradedSince;
    recordLoopError("test-maintenance", "plan runner", new Error("still away"));
    expect(getDegradedLoops("test-maintenance")).toEqual([{ name: "plan runner", lastError: "still away", degradedSince: since, restarts: 0 }]);
    expect(getDegradedLoops("test-campaigns")).toEqual([]);
    recordLoopOk("test-maintenance", "plan runner");
    expect(getDegradedLoops("test-maintenance")).toEqual([]);
    expect(getLoopStatus("test-maintenance", "plan runner").lastTickAt).not.toBeNull();
  });
});
