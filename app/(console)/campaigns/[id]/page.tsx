import Link from "next/link";
import { notFound } from "next/navigation";
import { requirePagePermission } from "@/lib/auth/session";
import { can } from "@/lib/auth/permissions";
import { getCampaignProgress } from "@/lib/campaigns/progress";
import { getCampaign } from "@/lib/campaigns/service";
import { getCampaignStepLines } from "@/lib/clickhouse/queries/campaigns";
import { CampaignLive } from "./campaign-live";
import "../campaigns.css";

export const metadata = { title: "Campaign" };
export const dynamic = "force-dynamic";

export default async function Page({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const user = await requirePagePermission("campaigns.view", `/campaigns/${id}`);
  if (!/^[a-z0-9]{8,40}$/.test(id)) notFound();
  const campaign = await getCampaign(id, user);
  if (!campaign) notFound();
  const [progress, failures] = await Promise.all([
    getCampaignProgress(id),
    getCampaignStepLines({ campaignId: id, limit: 50, failuresOnly: true }).catch(() => []),
  ]);
  return (
    <>
      <div className="page-header">
        <p><Link href="/campaigns">← Campaigns</Link></p>
        <h1 data-testid="campaign-name">{campaign.name}</h1>
        <p>
          {campaign.jobType} · created by {campaign.createdByEmail} · {campaign.targetCount} meters scheduled
        </p>
      </div>
      <CampaignLive
        campaignId={id}
        initial={progress!}
        failures={failures}
        canManage={can(user.role, "campaigns.manage")}
        canApprove={can(user.role, "campaigns.approve") && campaign.createdById !== user.id}
      />
    </>
  );
}
