import { requirePagePermission } from "@/lib/auth/session";
import { can } from "@/lib/auth/permissions";
import { listWorkOrders } from "@/lib/campaigns/work-orders";
import { EmptyState } from "@/components/empty-state";
import { WorkOrdersTable } from "./work-orders-table";

export const metadata = { title: "Work orders" };
export const dynamic = "force-dynamic";

export default async function Page() {
  const user = await requirePagePermission("workorders.view", "/work-orders");
  const rows = await listWorkOrders(user);
  return (
    <>
      <div className="page-header">
        <h1>Work orders</h1>
        <p>Field tasks assigned to technicians.</p>
      </div>
      {rows.length ? (
        <WorkOrdersTable rows={rows} canComplete={can(user.role, "workorders.complete")} canEditConstants={can(user.role, "meters.edit_constants")} />
      ) : (
        <EmptyState title="No open work orders" testId="work-orders-empty">Field steps of campaigns (inspection, calibration) appear here.</EmptyState>
      )}
    </>
  );
}
