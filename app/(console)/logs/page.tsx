import { requirePagePermission } from "@/lib/auth/session";
import { EmptyState } from "@/components/empty-state";

export const metadata = { title: "Log explorer" };

export default async function Page() {
  await requirePagePermission("logs.view", "/logs");
  return (
    <>
      <div className="page-header">
        <h1>Log explorer</h1>
        <p>Search the maintenance audit log.</p>
      </div>
      <EmptyState title="No audit lines yet">Send lines to POST /api/ingest, publish them over MQTT, or point INGEST_FILES at a log file.</EmptyState>
    </>
  );
}
