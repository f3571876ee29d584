import { requirePagePermission } from "@/lib/auth/session";
import { parseNewCampaignParams } from "@/lib/campaigns/schemas";
import { getFirmwareCatalogue } from "@/lib/campaigns/targets";
import { checkTargetFirmware, compareVersions } from "@/lib/scheduling/preflight";
import { JOB_TYPES_LIST, jobTypeTitle } from "@/lib/scheduling/job-types";
import { NewCampaignForm, type FirmwarePairOption } from "./new-campaign-form";
import "../campaigns.css";

export const metadata = { title: "New campaign" };

/** The catalogue's compatible pairs, newest first; a pair preflight would refuse (unsigned, unknown hash) is listed but not offered. */
async function firmwarePairOptions(): Promise<FirmwarePairOption[]> {
  const catalogue = await getFirmwareCatalogue();
  const newestFirst = (a: string, b: string) => compareVersions(b, a) ?? b.localeCompare(a);
  return [...catalogue.compatibility]
    .sort((a, b) => newestFirst(a.metrology, b.metrology) || newestFirst(a.comms, b.comms))
    .map((pair) => {
      const refused = checkTargetFirmware(pair, catalogue).map((r) => r.message);
      return { value: `${pair.metrology}/${pair.comms}`, label: `metrology ${pair.metrology} + comms ${pair.comms}`, refused: refused.join("; ") || null };
    });
}

export default async function Page({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  await requirePagePermission("campaigns.manage", "/campaigns/new");
  const { jobType, query, ignored } = parseNewCampaignParams(await searchParams);
  const firmwarePairs = await firmwarePairOptions();
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
      <NewCampaignForm
        jobTypes={JOB_TYPES_LIST.map((j) => ({ value: j, label: jobTypeTitle(j) }))}
        initialJobType={jobType ?? "fw_verify"}
        initialQuery={query}
        firmwarePairs={firmwarePairs}
      />
    </>
  );
}
