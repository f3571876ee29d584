import Link from "next/link";
import { requirePagePermission } from "@/lib/auth/session";
import { can } from "@/lib/auth/permissions";
import { listCampaigns } from "@/lib/campaigns/service";
import { EmptyState } from "@/components/empty-state";
import { CampaignsTable } from "./campaigns-table";

export const metadata = { title: "Campaigns" };
export const dynamic = "force-dynamic";

export default async function Page() {
  const user = await requirePagePermission("campaigns.view", "/campaigns");
  const rows = await listCampaigns(user);
  const canManage = can(user.role, "campaigns.manage");
  return (
    <>
      <div className="page-header">
        <h1>Campaigns</h1>
        <p>Staggered maintenance campaigns and their waves.</p>
        {canManage && (
          <Link href="/campaigns/new" className="button" data-testid="new-campaign">
            New campaign
          </Link>
        )}
      </div>
      {rows.length ? (
        <CampaignsTable rows={rows} />
      ) : (
        <EmptyState title="No campaigns yet" testId="campaigns-empty">
          Operators create campaigns from a fleet query or a fault.
        </EmptyState>
      )}
    </>
  );
}
