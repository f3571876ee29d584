import path from "node:path";
import { describe, expect, it } from "vitest";
import { generateFleet } from "./fleet";
import { createDefaultScenario, loadScenarioFile, parseDurationMs, parseScenario, resolveScenario, ScenarioError } from "./scenario";

const fleet = generateFleet({ meters: 20_000, seed: "ami-demo", now: Date.UTC(2026, 10, 25) });
const problemsOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (e) {
    if (e instanceof ScenarioError) return e.problems;
    throw e;
  }
  throw new Error("expected a ScenarioError");
};

describe("scenarios", () => {
  it("loads the shipped files and binds them to the demo fleet", () => {
    for (const name of ["interference", "demo"]) {
      const s = loadScenarioFile(path.join(__dirname, "scenarios", `${name}.yaml`));
      const effects = resolveScenario(s, fleet);
      expect(effects.length).toBe(s.events.length);
      for (const e of effects) expect(e.meters.length).toBeGreaterThan(0);
    }
    const s = loadScenarioFile(path.join(__dirname, "scenarios/interference.yaml"));
    expect(s.events[0]).toEqual({ event: "interference", gateway: "GW-0042", at: 600_000, duration: 1_800_000, severity: 0.9 });
  });

  it("accepts a bare list and JSON, with defaults", () => {
    const s = parseScenario('[{"at": "90s", "event": "tamper_burst", "town": "Laredo"}]');
    expect(s.events[0]).toMatchObject({ at: 90_000, duration: 1_800_000, severity: 0.8, town: "Laredo" });
    expect(parseDurationMs("1.5h")).toBe(5_400_000);
    expect(parseDurationMs(2)).toBe(2000);
  });

  it("names the event and key of every problem", () => {
    const problems = problemsOf(() =>
      parseScenario(
        `events:
  - { at: 10m, event: interference, gateway: G42, severity: 2 }
  - { at: soon, event: heatwave, zone: tropical }
  - { at: 1m, event: storm }
  - { at: 1m, event: earthquake }
`,
        "bad.yaml",
      ),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^events\[0\]\.gateway: expected a gateway id like GW-0042/),
        expect.stringMatching(/^events\[0\]\.severity: severity is 0\.\.1/),
        expect.stringMatching(/^events\[1\]\.at: expected a duration/),
        expect.stringMatching(/^events\[1\]\.zone: expected a climate zone/),
        expect.stringMatching(/^events\[2\]: a storm needs exactly one of town or bbox/),
        expect.stringMatching(/^events\[3\]\.event: expected event to be one of/),
      ]),
    );
    expect(problemsOf(() => parseScenario("events: [ {at: 1m"))[0]).toMatch(/not valid YAML\/JSON at line 1/);
  });

  it("refuses causes the fleet cannot carry", () => {
    const s = parseScenario(`- { at: 0s, event: interference, gateway: GW-9999 }
- { at: 0s, event: storm, town: Paris }
- { at: 0s, event: firmware_cohort, metrology: 3.3.0, comms: 5.4.2 }
- { at: 0s, event: firmware_cohort, metrology: 9.9.9, comms: 5.4.2 }`);
    const problems = problemsOf(() => resolveScenario(s, fleet));
    expect(problems[0]).toMatch(/events\[0\]\.gateway: GW-9999 is not in this fleet/);
    expect(problems[1]).toMatch(/events\[1\]\.town: "Paris" is not a town/);
    expect(problems[2]).toMatch(/events\[2\]: .* compatible pair/);
    expect(problems[3]).toMatch(/events\[3\]\.metrology: 9\.9\.9 is not a released/);
  });

  it("builds a default scenario with one of each cause that resolves", () => {
    const s = createDefaultScenario(fleet, 1);
    expect(new Set(s.events.map((e) => e.event))).toEqual(new Set(["interference", "heatwave", "storm", "tamper_burst", "firmware_cohort", "fota_wave"]));
    expect(resolveScenario(s, fleet).every((e) => e.meters.length > 0)).toBe(true);
  });
});
