import { describe, expect, it } from "vitest";
import { can, isRoleWithin, navFor, PERMISSIONS, ROLES } from "./permissions";

describe("permission table", () => {
  it("admin may do everything", () => {
    for (const p of Object.keys(PERMISSIONS) as (keyof typeof PERMISSIONS)[]) expect(can("admin", p)).toBe(true);
  });

  it("viewer is read-only: no permission that changes anything", () => {
    // A personal API token acts no higher than its owner: for a viewer, a read-only key.
    const writes = (Object.keys(PERMISSIONS) as (keyof typeof PERMISSIONS)[]).filter((p) => !p.endsWith(".view") && p !== "logs.export" && p !== "api.tokens.personal");
    expect(writes.length).toBeGreaterThan(5);
    for (const p of writes) expect(can("viewer", p), p).toBe(false);
  });

  it("only technicians and admins change metrology constants and complete work orders", () => {
    expect(ROLES.filter((r) => can(r, "meters.edit_constants"))).toEqual(["technician", "admin"]);
    expect(ROLES.filter((r) => can(r, "workorders.complete"))).toEqual(["technician", "admin"]);
  });

  it("operators schedule and approve campaigns; technicians and viewers do not", () => {
    expect(ROLES.filter((r) => can(r, "campaigns.manage"))).toEqual(["operator", "admin"]);
    expect(ROLES.filter((r) => can(r, "campaigns.approve"))).toEqual(["operator", "admin"]);
  });

  it("only admins change the fleet inventory (import, generate)", () => {
    expect(ROLES.filter((r) => can(r, "fleet.manage"))).toEqual(["admin"]);
  });

  it("only admins manage users", () => {
    expect(ROLES.filter((r) => can(r, "users.manage"))).toEqual(["admin"]);
  });

  it("no role or an unknown role may do nothing", () => {
    expect(can(null, "fleet.view")).toBe(false);
    expect(can("root" as never, "fleet.view")).toBe(false);
  });

  it("navigation follows the table", () => {
    expect(navFor("viewer").map((n) => n.label)).toEqual(["Map", "Alerts", "Faults", "Logs", "Campaigns", "Work orders", "Schedule", "Meters", "API"]);
    expect(can("viewer", "schedule.manage")).toBe(false);
    expect(can("operator", "schedule.manage")).toBe(true);
    expect(navFor("technician").map((n) => n.label)).toContain("Work orders");
    expect(navFor("operator").map((n) => n.label)).toContain("Ingest");
    expect(navFor("operator").map((n) => n.label)).not.toContain("Admin");
    expect(navFor("admin").map((n) => n.label)).toContain("Admin");
  });
});

describe("isRoleWithin (API token roles)", () => {
  it("a token role is within the creator's when every permission of it is the creator's", () => {
    const within = (ceiling: (typeof ROLES)[number]) => ROLES.filter((r) => isRoleWithin(r, ceiling));
    expect(within("admin")).toEqual(["viewer", "technician", "operator", "admin"]);
    expect(within("operator")).toEqual(["viewer", "operator"]);
    expect(within("technician")).toEqual(["viewer", "technician"]);
    expect(within("viewer")).toEqual(["viewer"]);
  });
});
