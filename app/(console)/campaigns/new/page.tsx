import { requirePagePermission } from "@/lib/auth/session";
import { parseNewCampaignParams } from "@/lib/campaigns/schemas";
import { JOB_TYPES_LIST } from "@/lib/scheduling/job-types";
import { NewCampaignForm } from "./new-campaign-form";
import "../campaigns.css";

export const metadata = { title: "New campaign" };

export default async function Page({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  await requirePagePermission("campaigns.manage", "/campaigns/new");
  const { jobType, query, ignored } = parseNewCampaignParams(await searchParams);
  return (
    <>
      <div className="page-header">
        <h1>New campaign</h1>
        <p>Pick the meters and the step, preview the waves, then create or start.</p>
      </div>
      {ignored.length > 0 && (
        <p className="notice" data-testid="ignored-params">
          Ignored link parameters that are not valid: {ignored.join(", ")}
        </p>
      )}
      <NewCampaignForm jobTypes={[...JOB_TYPES_LIST]} initialJobType={jobType ?? "fw_verify"} initialQuery={query} />
    </>
  );
}
