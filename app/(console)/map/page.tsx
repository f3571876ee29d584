import { requirePagePermission } from "@/lib/auth/session";
import { EmptyState } from "@/components/empty-state";

export const metadata = { title: "Fleet map" };

export default async function Page() {
  await requirePagePermission("fleet.view", "/map");
  return (
    <>
      <div className="page-header">
        <h1>Fleet map</h1>
        <p>Every meter, coloured by health.</p>
      </div>
      <EmptyState title="No meters yet">Import a fleet with npm run fleet:import, or start the demo with npm run demo.</EmptyState>
    </>
  );
}
