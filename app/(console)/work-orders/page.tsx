import Link from "next/link";
import { requirePagePermission } from "@/lib/auth/session";
import { can } from "@/lib/auth/permissions";
import { campaignIdSchema } from "@/lib/campaigns/schemas";
import { listWorkOrders } from "@/lib/campaigns/work-orders";
import { findTargetMeters } from "@/lib/clickhouse/queries/campaigns";
import { EmptyState } from "@/components/empty-state";
import { WorkOrdersTable, type WorkOrderSite } from "./work-orders-table";
import { MyRoute } from "./my-route";

export const metadata = { title: "Work orders" };
export const dynamic = "force-dynamic";

const FILTERS = [
  { id: "open", label: "Open" },
  { id: "done", label: "Done" },
  { id: "cancelled", label: "Cancelled" },
  { id: "all", label: "All" },
] as const;
type Filter = (typeof FILTERS)[number]["id"];

/** Where each meter is and what it shows now (fleet dimensions and latest state in ClickHouse); empty if that read fails. */
async function sitesOf(meterIds: string[]): Promise<Record<string, WorkOrderSite>> {
  if (!meterIds.length) return {};
  try {
    const rows = await findTargetMeters({ meters: meterIds }, { now: Date.now(), limit: meterIds.length });
    return Object.fromEntries(rows.map((r) => [r.meter, { gw: r.gw, model: r.model, zone: r.zone, led: r.led, faultCode: r.faultCode }]));
  } catch (err) {
    console.error("[work-orders] fleet read failed:", err);
    return {};
  }
}

export default async function Page({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const user = await requirePagePermission("workorders.view", "/work-orders");
  const params = await searchParams;
  const raw = params.status;
  const filter: Filter = FILTERS.some((f) => f.id === raw) ? (raw as Filter) : "open";
  // One campaign's orders (the campaign page links here for its findings' follow-ups).
  const campaignId = campaignIdSchema.safeParse({ campaignId: params.campaign }).data?.campaignId;
  const rows = await listWorkOrders(user, { status: filter === "all" ? undefined : filter, campaignId });
  const hrefOf = (status: Filter) => `/work-orders?status=${status}${campaignId ? `&campaign=${encodeURIComponent(campaignId)}` : ""}`;
  const sites = await sitesOf([...new Set(rows.map((r) => r.meterId))]);
  return (
    <>
      <div className="page-header">
        <h1>Work orders</h1>
        <p>Field tasks for technicians: inspections and calibrations from campaigns and the maintenance schedule.</p>
      </div>
      <MyRoute user={user} />
      <nav className="seg" aria-label="Work order status" data-testid="wo-filters">
        {FILTERS.map((f) => (
          <Link key={f.id} href={hrefOf(f.id)} aria-current={f.id === filter ? "page" : undefined} data-testid={`wo-filter-${f.id}`} className="seg-item">
            {f.label}
          </Link>
        ))}
      </nav>
      {campaignId && (
        <p data-testid="wo-campaign-filter">
          Campaign <Link href={`/campaigns/${encodeURIComponent(campaignId)}`}>{rows[0]?.campaignName ?? campaignId}</Link> only ·{" "}
          <Link href={`/work-orders?status=${filter}`} data-testid="wo-campaign-clear">
            all campaigns
          </Link>
        </p>
      )}
      <WorkOrdersTable rows={rows} sites={sites} canComplete={can(user.role, "workorders.complete")} canEditConstants={can(user.role, "meters.edit_constants")}>
        <EmptyState title={filter === "open" ? "No open work orders" : `No ${filter === "all" ? "" : `${filter} `}work orders`} testId="work-orders-empty">
          Field steps of campaigns (inspection, calibration) and of the <Link href="/schedule">maintenance schedule</Link>'s plans appear here as they are scheduled.
        </EmptyState>
      </WorkOrdersTable>
    </>
  );
}
