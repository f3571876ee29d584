import { describe, expect, it } from "vitest";
import { CODES, CODE_LIST, STEPS } from "@/lib/audit/codes";
import { getNoStepAction, NO_STEP_ACTIONS } from "./no-step-actions";
import {
  CATALOGUE,
  CATALOGUE_VERSION,
  CatalogueError,
  extendCatalogue,
  findMatchingSignatures,
  findSignature,
  isSignatureMatch,
  resolveCode,
  signatureSchema,
  type FaultSignature,
} from "./catalogue";
import { RUNBOOKS, findRunbook } from "./runbooks";

const T0 = Date.UTC(2026, 10, 25, 3, 0, 0);
const DAY = 86_400_000;

function getSignature(id: string): FaultSignature {
  const s = findSignature(CATALOGUE, id);
  if (!s) throw new Error(`missing signature ${id}`);
  return s;
}

describe("catalogue completeness", () => {
  const faultCodes = CODE_LIST.filter((c) => c !== "STEP_OK" && c !== "HEARTBEAT");

  it("has one code signature per fault code in lib/audit/codes.ts, with the contract's severity", () => {
    expect(faultCodes.length).toBeGreaterThan(0);
    for (const code of faultCodes) {
      const owners = CATALOGUE.signatures.filter((s) => s.match.type === "codes" && s.match.codes.includes(code));
      expect(owners, code).toHaveLength(1);
      expect(owners[0].kind).toBe("code");
      expect(owners[0].severity).toBe(CODES[code].sev);
    }
  });

  it("does not treat STEP_OK or HEARTBEAT as faults", () => {
    for (const code of ["STEP_OK", "HEARTBEAT"]) {
      expect(CATALOGUE.signatures.some((s) => s.match.type === "codes" && s.match.codes.includes(code))).toBe(false);
      expect(resolveCode(CATALOGUE, code)).toEqual({ raw: code, code, signatureId: null, isAlias: false });
    }
  });

  it("has the two LED meanings and the six derived conditions", () => {
    expect(getSignature("led_red_blinking")).toMatchObject({ kind: "led", severity: "critical", match: { type: "led", led: "red_blinking" } });
    expect(getSignature("led_amber_steady")).toMatchObject({ kind: "led", match: { type: "led", led: "amber_steady" } });
    for (const id of ["snr_low", "terminal_hot", "cert_expiring", "fw_pair_incompatible", "hes_below_fota", "clock_drift"]) {
      expect(getSignature(id).kind, id).toBe("derived");
    }
  });

  it("every entry is valid, ids are unique, remediations are real steps", () => {
    const ids = CATALOGUE.signatures.map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const s of CATALOGUE.signatures) {
      expect(() => signatureSchema.parse(s), s.id).not.toThrow();
      if (s.remediation !== null) expect(STEPS, s.id).toContain(s.remediation);
    }
    expect(CATALOGUE.version).toBe(CATALOGUE_VERSION);
  });

  it("points each signature to an existing runbook, and each runbook to existing faults and runbooks", () => {
    for (const s of CATALOGUE.signatures) expect(findRunbook(s.runbook), `${s.id} -> ${s.runbook}`).toBeDefined();
    const slugs = RUNBOOKS.map((r) => r.slug);
    expect(new Set(slugs).size).toBe(slugs.length);
    for (const r of RUNBOOKS) {
      expect(r.appliesTo.length, r.slug).toBeGreaterThan(0);
      for (const id of r.appliesTo) expect(findSignature(CATALOGUE, id), `${r.slug} appliesTo ${id}`).toBeDefined();
      for (const rel of r.related) expect(slugs, `${r.slug} related ${rel}`).toContain(rel);
      expect(r.steps.length).toBeGreaterThan(0);
      expect(r.verification.length).toBeGreaterThan(0);
    }
  });

  it("gives every signature's fault a runbook that lists it", () => {
    for (const s of CATALOGUE.signatures) expect(findRunbook(s.runbook)?.appliesTo, s.id).toContain(s.id);
  });

  it("has the admin-desk runbooks, in plain text", () => {
    const fota = findRunbook("bricked-meter-after-fota");
    expect(fota?.steps.join(" ")).toMatch(/optical port/);
    expect(fota?.steps.join(" ")).toMatch(/golden image/);
    expect(findRunbook("metrology-reverification-interval")?.summary).toMatch(/five years/);
    expect(findRunbook("firmware-under-load")?.summary).toMatch(/off-peak/);
    expect(findRunbook("periodic-packet-loss")).toBeDefined();
    const text = JSON.stringify(RUNBOOKS);
    expect(text).not.toMatch(/[<>*`]|\]\(|\\n#/);
  });
});

describe("matching", () => {
  const match = (id: string, event: Parameters<typeof isSignatureMatch>[1], ctx = {}) => isSignatureMatch(getSignature(id).match, event, ctx);

  it("snr_low is strictly below 15 dB", () => {
    expect(match("snr_low", { snr: 14.9 })).toBe(true);
    expect(match("snr_low", { snr: 15 })).toBe(false);
    expect(match("snr_low", { snr: null })).toBe(false);
  });

  it("terminal_hot is strictly above 60 °C", () => {
    expect(match("terminal_hot", { temp_c: 60 })).toBe(false);
    expect(match("terminal_hot", { temp_c: 60.5 })).toBe(true);
  });

  it("cert_expiring covers the next 30 days from the event time", () => {
    expect(match("cert_expiring", { ts: T0, cert_not_after: T0 + 30 * DAY })).toBe(true);
    expect(match("cert_expiring", { ts: T0, cert_not_after: T0 + 31 * DAY })).toBe(false);
    expect(match("cert_expiring", { ts: T0, cert_not_after: null })).toBe(false);
  });

  it("clock_drift needs the head-end receive time and more than 1 s either way", () => {
    expect(match("clock_drift", { ts: T0, recv_ts: null })).toBe(false);
    expect(match("clock_drift", { ts: T0, recv_ts: T0 - 1000 })).toBe(false);
    expect(match("clock_drift", { ts: T0, recv_ts: T0 - 1001 })).toBe(true);
    expect(match("clock_drift", { ts: T0, recv_ts: T0 + 1500 })).toBe(true);
  });

  it("hes_below_fota compares versions numerically and only when FOTA is planned", () => {
    expect(match("hes_below_fota", {}, { hesVersion: "4.1.9", isFotaPlanned: true })).toBe(true);
    expect(match("hes_below_fota", {}, { hesVersion: "4.2.0", isFotaPlanned: true })).toBe(false);
    expect(match("hes_below_fota", {}, { hesVersion: "4.10.0", isFotaPlanned: true })).toBe(false);
    expect(match("hes_below_fota", {}, { hesVersion: "4.1.9", isFotaPlanned: false })).toBe(false);
  });

  it("fw_pair_incompatible flags pairs missing from the compatibility list", () => {
    const ctx = { compatibleFwPairs: [{ metrology: "2.1.0", comms: "5.0.3" }] };
    expect(match("fw_pair_incompatible", { fw_metrology: "2.1.0", fw_comms: "5.0.3" }, ctx)).toBe(false);
    expect(match("fw_pair_incompatible", { fw_metrology: "2.2.0", fw_comms: "5.0.3" }, ctx)).toBe(true);
    expect(match("fw_pair_incompatible", { fw_metrology: "2.2.0", fw_comms: "5.0.3" })).toBe(false);
  });

  it("one event can show a code, an LED and a derived condition at once", () => {
    expect(findMatchingSignatures(CATALOGUE, { code: "E105", led: "amber_steady", snr: 11.2 })).toEqual(["E105", "led_amber_steady", "snr_low"]);
  });
});

describe("extendCatalogue", () => {
  const acme = {
    name: "acme-utility",
    aliases: { VND_RF_77: "E105", vnd_tamper_1: "E042" },
    signatures: [
      {
        id: "ACME_DOOR",
        title: "Cabinet door open",
        severity: "warn",
        kind: "code",
        meaning: "The street cabinet door switch fired.",
        checks: ["Check the cabinet lock."],
        remediation: "inspect",
        runbook: "tamper",
        match: { type: "codes", codes: ["ACME_DOOR_OPEN"] },
      },
    ],
    overrides: { LOW_SNR: { severity: "error" }, snr_low: { match: { type: "threshold", measure: "snr", op: "lt", threshold: 12 } } },
  };

  it("maps vendor codes onto ours, case-insensitively", () => {
    const ext = extendCatalogue(CATALOGUE, acme);
    expect(resolveCode(ext, "VND_RF_77")).toEqual({ raw: "VND_RF_77", code: "E105", signatureId: "E105", isAlias: true });
    expect(resolveCode(ext, " vnd_tamper_1 ")?.signatureId).toBe("E042");
    expect(resolveCode(ext, "E105")?.isAlias).toBe(false);
    expect(resolveCode(ext, "VND_UNKNOWN")).toBeNull();
    expect(resolveCode(CATALOGUE, "VND_RF_77")).toBeNull();
    expect(findMatchingSignatures(ext, { code: "VND_RF_77" })).toEqual(["E105"]);
  });

  it("adds and overrides signatures without touching the base", () => {
    const ext = extendCatalogue(CATALOGUE, acme);
    expect(resolveCode(ext, "ACME_DOOR_OPEN")?.signatureId).toBe("ACME_DOOR");
    expect(findSignature(ext, "LOW_SNR")?.severity).toBe("error");
    expect(findSignature(CATALOGUE, "LOW_SNR")?.severity).toBe(CODES.LOW_SNR.sev);
    expect(isSignatureMatch(findSignature(ext, "snr_low")!.match, { snr: 13 })).toBe(false);
    expect(isSignatureMatch(findSignature(CATALOGUE, "snr_low")!.match, { snr: 13 })).toBe(true);
    expect(ext.version).toBe(`${CATALOGUE_VERSION}+acme-utility.1`);
    expect(ext.signatures).toHaveLength(CATALOGUE.signatures.length + 1);
  });

  function expectError(extension: unknown, pattern: RegExp) {
    let caught: unknown;
    try {
      extendCatalogue(CATALOGUE, extension);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(CatalogueError);
    expect((caught as CatalogueError).message).toMatch(pattern);
  }

  it("rejects bad aliases with the offending key in the message", () => {
    expectError({ name: "x", aliases: { VND_1: "E999" } }, /aliases\.VND_1: unknown target code E999/);
    expectError({ name: "x", aliases: { E105: "E001" } }, /aliases\.E105: shadows/);
    expectError({ name: "x", aliases: { A_1: "B_1", B_1: "E105" } }, /aliases\.A_1: target B_1 is itself an alias/);
  });

  it("rejects invalid signatures and overrides with their paths", () => {
    const bad = { ...acme.signatures[0], remediation: "reboot" };
    expectError({ name: "x", signatures: [bad] }, /signatures\.0\.remediation/);
    expectError({ name: "x", signatures: [{ ...acme.signatures[0], kind: "led" }] }, /kind "led" needs a match of type led/);
    expectError({ name: "x", overrides: { NOPE: { severity: "warn" } } }, /overrides\.NOPE: no signature/);
    expectError({ name: "x", overrides: { E001: { severity: "fatal" } } }, /overrides\.E001\.severity/);
    expectError({ name: "x", signatures: [{ ...acme.signatures[0], id: "DUP", match: { type: "codes", codes: ["E105"] } }] }, /code E105 is claimed by both E105 and DUP/);
    expectError({ name: "Not A Slug" }, /name/);
    expectError({ name: "x", extra: true }, /extra|Unrecognized/i);
  });

  it("reports every problem at once", () => {
    try {
      extendCatalogue(CATALOGUE, { name: "x", aliases: { V1: "E999", V2: "NOPE" }, overrides: { NOPE: {} } });
      expect.unreachable();
    } catch (e) {
      expect((e as CatalogueError).issues).toHaveLength(3);
    }
  });
});

describe("every fault has an action", () => {
  it("a remediation step, or the reason no meter step fixes it", () => {
    for (const s of CATALOGUE.signatures) {
      const hasAction = s.remediation !== null || getNoStepAction(s.id) !== null;
      expect(hasAction, s.id).toBe(true);
    }
    expect(getNoStepAction("TLS_HANDSHAKE")?.text).toMatch(/OpenSSL/);
    // No dead entries: only faults without a remediation step have one.
    for (const id of Object.keys(NO_STEP_ACTIONS)) expect(CATALOGUE.signatures.find((s) => s.id === id)?.remediation, id).toBeNull();
  });
});
