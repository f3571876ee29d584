import { describe, expect, it } from "vitest";
import { advanceAlert, evaluateRuleTick, FLAP_HOLD_MS, replayRule, type AlertSnapshot, type Observation } from "./state";

const T0 = Date.UTC(2026, 11, 1, 12, 0, 0);
const MIN = 60_000;
const obs = (groupKey: string, value = 25): Observation => ({ groupKey, labels: { gateway: groupKey }, value, summary: `${groupKey} ${value}` });

/** Runs a rule over ticks one minute apart; `active[i]` = groups true at tick i. */
function run(timing: { forSeconds: number; recoverSeconds: number }, active: string[][]) {
  let alerts: AlertSnapshot[] = [];
  const log: string[] = [];
  active.forEach((groups, i) => {
    const r = evaluateRuleTick(
      "r1",
      timing,
      groups.map((g) => obs(g)),
      alerts,
      T0 + i * MIN,
    );
    const byFp = new Map(alerts.map((a) => [a.fingerprint, a]));
    for (const u of r.updates) byFp.set(u.fingerprint, u);
    alerts = [...byFp.values()];
    for (const e of r.events) log.push(`${i}:${e.fingerprint.split("|")[1]}:${e.type}`);
    for (const n of r.notify) log.push(`${i}:${n.fingerprint.split("|")[1]}:notify-${n.kind}`);
  });
  return { alerts, log };
}

describe("advanceAlert", () => {
  it("fires at once with for = 0 and resolves on the first false tick with recover = 0", () => {
    const { log } = run({ forSeconds: 0, recoverSeconds: 0 }, [["GW-1"], ["GW-1"], []]);
    expect(log).toEqual(["0:GW-1:firing", "0:GW-1:notify-firing", "2:GW-1:resolved", "2:GW-1:notify-resolved"]);
  });

  it("stays pending until the condition has held for `for`, then fires once", () => {
    const { log, alerts } = run({ forSeconds: 180, recoverSeconds: 0 }, [["GW-1"], ["GW-1"], ["GW-1"], ["GW-1"], ["GW-1"]]);
    expect(log).toEqual(["0:GW-1:pending", "3:GW-1:firing", "3:GW-1:notify-firing"]);
    expect(alerts[0]!.state).toBe("firing");
    expect(alerts[0]!.firedAt).toBe(T0 + 3 * MIN);
    expect(alerts[0]!.pendingSince).toBe(T0);
  });

  it("clears a pending alert whose condition goes away, telling nobody", () => {
    const { log, alerts } = run({ forSeconds: 300, recoverSeconds: 0 }, [["GW-1"], ["GW-1"], []]);
    expect(log).toEqual(["0:GW-1:pending", "2:GW-1:cleared"]);
    expect(alerts[0]!.state).toBe("resolved");
    expect(alerts[0]!.firedAt).toBeNull();
  });

  it("keeps firing through a gap shorter than the recovery time", () => {
    const { log } = run({ forSeconds: 0, recoverSeconds: 180 }, [["GW-1"], [], [], ["GW-1"], [], [], [], []]);
    // false at 1-2 (2 min < 3), true at 3, false from 4: resolves at 6 (3 min after the last true tick).
    expect(log).toEqual(["0:GW-1:firing", "0:GW-1:notify-firing", "6:GW-1:resolved", "6:GW-1:notify-resolved"]);
  });

  it("one alert per group, each with its own fingerprint", () => {
    const { alerts, log } = run({ forSeconds: 0, recoverSeconds: 0 }, [["GW-1", "GW-2"], ["GW-2"]]);
    expect(alerts.map((a) => [a.fingerprint, a.state]).sort()).toEqual([
      ["r1|GW-1", "resolved"],
      ["r1|GW-2", "firing"],
    ]);
    expect(log.filter((l) => l.endsWith("notify-firing"))).toEqual(["0:GW-1:notify-firing", "0:GW-2:notify-firing"]);
  });

  it("updates a firing alert's value in place instead of opening a new one", () => {
    let a = advanceAlert(null, "r1|GW-1", obs("GW-1", 21), { forSeconds: 0, recoverSeconds: 0 }, T0);
    a = advanceAlert(a.next, "r1|GW-1", obs("GW-1", 40), { forSeconds: 0, recoverSeconds: 0 }, T0 + MIN);
    expect(a.notify).toBeNull();
    expect(a.events).toEqual([]);
    expect(a.next!.value).toBe(40);
    expect(a.next!.firedAt).toBe(T0);
  });

  it("a flapping condition becomes one held alert instead of a page per flip", () => {
    // On-off every minute for 20 minutes.
    const ticks = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? ["GW-1"] : []));
    const { log, alerts } = run({ forSeconds: 0, recoverSeconds: 0 }, ticks);
    const pages = log.filter((l) => l.endsWith("notify-firing"));
    expect(pages).toEqual(["0:GW-1:notify-firing", "2:GW-1:notify-firing", "4:GW-1:notify-firing"]);
    expect(log).toContain("4:GW-1:flapping");
    expect(alerts[0]!.state).toBe("firing");
    expect(alerts[0]!.isFlapping).toBe(true);
    // It resolves only after the condition has been gone the flap hold.
    let a: AlertSnapshot | null = alerts[0]!;
    const last = a.lastTrueAt!;
    let step = advanceAlert(a, a.fingerprint, null, { forSeconds: 0, recoverSeconds: 0 }, last + FLAP_HOLD_MS - MIN);
    expect(step.next!.state).toBe("firing");
    step = advanceAlert(a, a.fingerprint, null, { forSeconds: 0, recoverSeconds: 0 }, last + FLAP_HOLD_MS);
    expect(step.notify).toBe("resolved");
    a = step.next;
    expect(a!.isFlapping).toBe(false);
  });

  it("fires again after resolving (same fingerprint, a new episode)", () => {
    const { log, alerts } = run({ forSeconds: 0, recoverSeconds: 0 }, [["GW-1"], [], [], [], ["GW-1"]]);
    expect(log.filter((l) => l.endsWith("notify-firing"))).toEqual(["0:GW-1:notify-firing", "4:GW-1:notify-firing"]);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.firedAt).toBe(T0 + 4 * MIN);
  });
});

describe("replayRule", () => {
  it("lists when a rule would have fired and resolved", () => {
    const ticks = [[], ["GW-1"], ["GW-1"], ["GW-1"], [], [], ["GW-2"], ["GW-2"]].map((g, i) => ({ at: T0 + i * 15 * MIN, observations: g.map((x) => obs(x)) }));
    expect(replayRule({ forSeconds: 900, recoverSeconds: 0 }, ticks)).toEqual([
      { groupKey: "GW-1", firedAt: T0 + 2 * 15 * MIN, resolvedAt: T0 + 4 * 15 * MIN, value: 25 },
      { groupKey: "GW-2", firedAt: T0 + 7 * 15 * MIN, resolvedAt: null, value: 25 },
    ]);
  });
});
