import { describe, expect, it } from "vitest";
import { ROLES, can } from "@/lib/auth/permissions";
import {
  ACTION_STATUSES,
  APPROVAL_POOL_STATUSES,
  CAMPAIGN_ACTION_PERMISSIONS,
  CAMPAIGN_STATUSES,
  canTransition,
  isActionAllowed,
  isApprovalBarred,
  TRANSITIONS,
  UNFINISHED_STATUSES,
  type CampaignStatus,
} from "./lifecycle";

describe("campaign lifecycle", () => {
  it("moves only along its transitions; finished campaigns stay finished (a retry reopens a completed one)", () => {
    expect(canTransition("draft", "awaiting_approval")).toBe(true);
    expect(canTransition("awaiting_approval", "running")).toBe(false); // approval comes first
    expect(canTransition("approved", "running")).toBe(true);
    expect(canTransition("paused", "running")).toBe(true);
    expect(canTransition("completed", "running")).toBe(true);
    expect(TRANSITIONS.aborted).toEqual([]);
    for (const s of CAMPAIGN_STATUSES) expect(canTransition(s, "aborted")).toBe((UNFINISHED_STATUSES as readonly string[]).includes(s));
  });

  it("allows each action in the statuses the service accepts", () => {
    const allowed = (a: keyof typeof ACTION_STATUSES) => CAMPAIGN_STATUSES.filter((s) => isActionAllowed(a, s));
    expect(allowed("start")).toEqual(["draft", "approved"]);
    expect(allowed("approve")).toEqual(["awaiting_approval"]);
    expect(allowed("pause")).toEqual(["running"]);
    expect(allowed("resume")).toEqual(["paused"]);
    expect(allowed("skip")).toEqual(["running", "paused"]);
    expect(allowed("retry")).toEqual(["running", "paused", "completed"]);
    expect(allowed("abort")).toEqual(["draft", "awaiting_approval", "approved", "running", "paused"]);
    expect(isActionAllowed("pause", "no-such-status")).toBe(false);
    // Every allowed action leads somewhere the transitions permit.
    const target: Partial<Record<keyof typeof ACTION_STATUSES, CampaignStatus>> = { approve: "approved", pause: "paused", resume: "running", abort: "aborted" };
    for (const [action, to] of Object.entries(target))
      for (const from of ACTION_STATUSES[action as keyof typeof ACTION_STATUSES]) expect(canTransition(from, to!), `${action} from ${from}`).toBe(true);
  });

  it("gives manage actions to operators and admins, approval to no viewer or technician, and never to the creator or submitter", () => {
    const who = (p: (typeof CAMPAIGN_ACTION_PERMISSIONS)[keyof typeof CAMPAIGN_ACTION_PERMISSIONS]) => ROLES.filter((r) => can(r, p));
    expect(who(CAMPAIGN_ACTION_PERMISSIONS.pause)).toEqual(["operator", "admin"]);
    expect(who(CAMPAIGN_ACTION_PERMISSIONS.approve)).toEqual(["operator", "admin"]);
    expect(isApprovalBarred({ createdById: "a", submittedById: "b" }, "a")).toBe(true);
    expect(isApprovalBarred({ createdById: "a", submittedById: "b" }, "b")).toBe(true);
    expect(isApprovalBarred({ createdById: "a", submittedById: null }, "c")).toBe(false);
    expect(APPROVAL_POOL_STATUSES).not.toContain("draft");
  });
});
