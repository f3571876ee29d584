// Roles and what each may do, as data. Checked inside every server action,
// route handler and socket.io room (requirePermission / can), never only in
// middleware. Role names follow the domain: technician = Level_2_Maintenance,
// operator = API_Admin.
export const ROLES = ["viewer", "technician", "operator", "admin"] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_LABELS: Record<Role, { label: string; description: string }> = {
  viewer: { label: "Viewer", description: "NOC operator: sees the fleet, faults, logs and campaigns; changes nothing." },
  technician: { label: "Technician", description: "Level_2_Maintenance: completes field work orders, records calibration, may change metrology constants." },
  operator: { label: "Operator", description: "API_Admin: schedules and steers maintenance campaigns, approves others' campaigns, manages ingest sources." },
  admin: { label: "Admin", description: "Everything, including users and roles." },
};

export const PERMISSIONS = {
  "fleet.view": ["viewer", "technician", "operator", "admin"],
  "logs.view": ["viewer", "technician", "operator", "admin"],
  "logs.export": ["viewer", "technician", "operator", "admin"],
  "logs.share_search": ["operator", "admin"],
  "faults.view": ["viewer", "technician", "operator", "admin"],
  "campaigns.view": ["viewer", "technician", "operator", "admin"],
  "campaigns.manage": ["operator", "admin"],
  "campaigns.approve": ["operator", "admin"],
  /** Viewers (the read-only NOC) see whether a crew was sent; only technicians and admins complete. */
  "workorders.view": ["viewer", "technician", "operator", "admin"],
  /** The Schedule area: plans, due list, forecast, compliance (read). */
  "schedule.view": ["viewer", "technician", "operator", "admin"],
  /** Create and change maintenance plans, crew capacity; run a plan now. */
  "schedule.manage": ["operator", "admin"],
  "workorders.complete": ["technician", "admin"],
  "meters.edit_constants": ["technician", "admin"],
  /** Import or generate the fleet inventory (firmware, gateways, positions, session caps). */
  "fleet.manage": ["admin"],
  "ingest.view": ["operator", "admin"],
  "ingest.manage_tokens": ["admin"],
  "users.manage": ["admin"],
  "audit.view": ["admin"],
  /** Alerts: see firing/pending/history and the bell; acknowledge and silence; create and edit rules; channels. */
  "alerts.view": ["viewer", "technician", "operator", "admin"],
  "alerts.acknowledge": ["operator", "admin"],
  "alerts.manage": ["operator", "admin"],
  "alerts.channels": ["admin"],
  /** /api/health with engine versions, migrations and errors (anonymous callers get the status only). */
  "health.details": ["operator", "admin"],
  /** Personal API tokens for /api/v1 (each user, their own; the token acts as a role no higher than theirs). */
  "api.tokens.personal": ["viewer", "technician", "operator", "admin"],
  /** Service API tokens for other systems (work management, MDM, scripts). */
  "api.tokens.service": ["admin"],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof PERMISSIONS;

export function isRole(v: unknown): v is Role {
  return typeof v === "string" && (ROLES as readonly string[]).includes(v);
}

/** Every permission of `role`. */
export function permissionsOf(role: Role): Permission[] {
  return (Object.keys(PERMISSIONS) as Permission[]).filter((p) => can(role, p));
}

/**
 * "No higher than": every permission of `role` is also one of `ceiling`'s. Roles are not a
 * line (a technician completes work orders, an operator steers campaigns), so a technician may
 * make viewer or technician tokens, an operator viewer or operator tokens, an admin any.
 */
export function isRoleWithin(role: Role, ceiling: Role): boolean {
  return permissionsOf(role).every((p) => can(ceiling, p));
}

export function can(role: Role | null | undefined, permission: Permission): boolean {
  if (!role) return false;
  return (PERMISSIONS[permission] as readonly Role[]).includes(role);
}

/** Navigation entries and the permission each needs: the shell shows only what the role may use. */
export const NAV_ITEMS = [
  { href: "/map", label: "Map", permission: "fleet.view" },
  { href: "/alerts", label: "Alerts", permission: "alerts.view" },
  { href: "/faults", label: "Faults", permission: "faults.view" },
  { href: "/logs", label: "Logs", permission: "logs.view" },
  { href: "/campaigns", label: "Campaigns", permission: "campaigns.view" },
  { href: "/work-orders", label: "Work orders", permission: "workorders.view" },
  { href: "/schedule", label: "Schedule", permission: "schedule.view" },
  { href: "/meters", label: "Meters", permission: "fleet.view" },
  { href: "/ingest", label: "Ingest", permission: "ingest.view" },
  { href: "/api-tokens", label: "API", permission: "api.tokens.personal" },
  { href: "/admin", label: "Admin", permission: "users.manage" },
] as const satisfies readonly { href: string; label: string; permission: Permission }[];

export function navFor(role: Role) {
  return NAV_ITEMS.filter((item) => can(role, item.permission));
}
