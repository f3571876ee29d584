import { requirePagePermission } from "@/lib/auth/session";
import { EmptyState } from "@/components/empty-state";

export const metadata = { title: "Meters" };

export default async function Page() {
  await requirePagePermission("fleet.view", "/meters");
  return (
    <>
      <div className="page-header">
        <h1>Meters</h1>
        <p>The fleet, meter by meter.</p>
      </div>
      <EmptyState title="No meters yet">Import a fleet with npm run fleet:import, or start the demo with npm run demo.</EmptyState>
    </>
  );
}
