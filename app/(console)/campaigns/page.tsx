import { requirePagePermission } from "@/lib/auth/session";
import { EmptyState } from "@/components/empty-state";

export const metadata = { title: "Campaigns" };

export default async function Page() {
  await requirePagePermission("campaigns.view", "/campaigns");
  return (
    <>
      <div className="page-header">
        <h1>Campaigns</h1>
        <p>Staggered maintenance campaigns and their waves.</p>
      </div>
      <EmptyState title="No campaigns yet">Operators create campaigns from a fleet query or a fault.</EmptyState>
    </>
  );
}
