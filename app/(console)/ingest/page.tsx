import { requirePagePermission } from "@/lib/auth/session";
import { EmptyState } from "@/components/empty-state";

export const metadata = { title: "Ingest" };

export default async function Page() {
  await requirePagePermission("ingest.view", "/ingest");
  return (
    <>
      <div className="page-header">
        <h1>Ingest</h1>
        <p>Sources, rates and refused lines.</p>
      </div>
      <EmptyState title="No ingest sources active">Configure INGEST_FILES, MQTT_URL or create an HTTP ingest token.</EmptyState>
    </>
  );
}
