import Link from "next/link";
import { notFound } from "next/navigation";
import { requirePagePermission } from "@/lib/auth/session";
import { can } from "@/lib/auth/permissions";
import { getCampaignProgress } from "@/lib/campaigns/progress";
import { isApprovalBarred } from "@/lib/campaigns/lifecycle";
import { getCampaign, readCampaignOutcomes } from "@/lib/campaigns/service";
import { CampaignLive } from "./campaign-live";
import "../campaigns.css";
import { formatUtc } from "@/lib/format/time";
import { jobTypeLabel, jobTypeTitle } from "@/lib/scheduling/job-types";

export const metadata = { title: "Campaign" };
export const dynamic = "force-dynamic";

type ApprovalFacts = {
  status: string;
  jobType: string;
  targetCount: number;
  createdById: string;
  createdByEmail: string;
  submittedById: string | null;
  submittedByEmail: string | null;
  approvedAt: Date | null;
};

/** Who may approve, or who did: neither the creator nor the submitter may approve. */
function approvalLine(c: ApprovalFacts, userId: string, mayApprove: boolean): string | null {
  if (c.status === "awaiting_approval") {
    const why = `${c.targetCount} meters of ${jobTypeLabel(c.jobType)} need a second person's approval`;
    const people = [...new Set([c.createdByEmail, c.submittedByEmail].filter(Boolean))].join(" and ");
    if (c.createdById === userId) return `${why}: another operator or admin must approve (you created it).`;
    if (c.submittedById === userId) return `${why}: another operator or admin must approve (you submitted it).`;
    return mayApprove ? `${why}: yours (not ${people}).` : `${why}: an operator or admin other than ${people} must approve.`;
  }
  if (c.approvedAt) return `approved ${formatUtc(c.approvedAt, { zone: true })}`;
  return null;
}

export default async function Page({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const user = await requirePagePermission("campaigns.view", `/campaigns/${id}`);
  if (!/^[a-z0-9]{8,40}$/.test(id)) notFound();
  const campaign = await getCampaign(id, user);
  if (!campaign) notFound();
  const [progress, outcomes] = await Promise.all([
    getCampaignProgress(id),
    readCampaignOutcomes(campaign).catch(() => null), // ClickHouse down: the page still shows PostgreSQL's progress
  ]);
  return (
    <>
      <div className="page-header">
        <p>
          <Link href="/campaigns">← Campaigns</Link>
        </p>
        <h1 data-testid="campaign-name">{campaign.name}</h1>
        <p>
          <span data-testid="campaign-job">{jobTypeTitle(campaign.jobType)}</span> · created by {campaign.createdByEmail}
          {campaign.submittedByEmail && campaign.submittedByEmail !== campaign.createdByEmail ? ` · submitted by ${campaign.submittedByEmail}` : ""} · {campaign.targetCount} meters
          scheduled
        </p>
      </div>
      <CampaignLive
        campaignId={id}
        initial={progress!}
        outcomes={outcomes}
        canManage={can(user.role, "campaigns.manage")}
        canApprove={can(user.role, "campaigns.approve") && !isApprovalBarred(campaign, user.id)}
        approval={approvalLine(campaign, user.id, can(user.role, "campaigns.approve"))}
      />
    </>
  );
}
