import { Suspense } from "react";
import { requirePagePermission } from "@/lib/auth/session";
import { can } from "@/lib/auth/permissions";
import { listSavedSearches } from "@/lib/logs/saved-searches";
import { LogExplorer } from "./log-explorer";

export const metadata = { title: "Log explorer" };
export const dynamic = "force-dynamic";

export default async function Page() {
  const user = await requirePagePermission("logs.view", "/logs");
  const savedSearches = await listSavedSearches(user.id);
  return (
    <>
      <div className="page-header">
        <h1>Log explorer</h1>
        <p>Search the maintenance audit log. Every query is time-bounded; drag on the chart to zoom.</p>
      </div>
      <Suspense fallback={<p className="muted">Loading…</p>}>
        <LogExplorer savedSearches={savedSearches} canShare={can(user.role, "logs.share_search")} canExport={can(user.role, "logs.export")} />
      </Suspense>
    </>
  );
}
