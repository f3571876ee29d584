import { requirePagePermission } from "@/lib/auth/session";
import { EmptyState } from "@/components/empty-state";

export const metadata = { title: "Work orders" };

export default async function Page() {
  await requirePagePermission("workorders.view", "/work-orders");
  return (
    <>
      <div className="page-header">
        <h1>Work orders</h1>
        <p>Field tasks assigned to technicians.</p>
      </div>
      <EmptyState title="No open work orders">Field steps of campaigns (inspection, calibration) appear here.</EmptyState>
    </>
  );
}
