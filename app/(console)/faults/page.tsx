import { requirePagePermission } from "@/lib/auth/session";
import { EmptyState } from "@/components/empty-state";

export const metadata = { title: "Troubleshooting matrix" };

export default async function Page() {
  await requirePagePermission("faults.view", "/faults");
  return (
    <>
      <div className="page-header">
        <h1>Troubleshooting matrix</h1>
        <p>Fault signatures, where they concentrate and what to do.</p>
      </div>
      <EmptyState title="No faults in this window">Faults appear here once audit lines are ingested.</EmptyState>
    </>
  );
}
