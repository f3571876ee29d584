import Link from "next/link";
import { notFound } from "next/navigation";
import { requirePagePermission } from "@/lib/auth/session";
import { can } from "@/lib/auth/permissions";
import { getWorkOrder } from "@/lib/campaigns/work-orders";
import { formatUtc } from "@/lib/format/time";
import { formatReadings, outcomeLabel } from "@/lib/maintenance/field-report";
import { jobTypeTitle } from "@/lib/scheduling/job-types";
import { CompleteOnPage } from "./complete-on-page";

export const metadata = { title: "Work order" };
export const dynamic = "force-dynamic";

function Row({ label, children, testId }: { label: string; children: React.ReactNode; testId?: string }) {
  return (
    <>
      <span>{label}</span>
      <span data-testid={testId}>{children}</span>
    </>
  );
}

export default async function Page({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const user = await requirePagePermission("workorders.view", `/work-orders/${encodeURIComponent(id)}`);
  if (!/^[A-Za-z0-9_-]{8,60}$/.test(id)) notFound();
  const wo = await getWorkOrder(user, id);
  if (!wo) notFound();
  const isOpen = wo.status === "open";
  const canComplete = can(user.role, "workorders.complete");
  return (
    <>
      <div className="page-header">
        <p>
          <Link href="/work-orders">← Work orders</Link>
        </p>
        <h1 data-testid="wo-title">
          {jobTypeTitle(wo.jobType)} on <Link href={`/meters/${encodeURIComponent(wo.meterId)}`}>{wo.meterId}</Link>
        </h1>
        <p>{wo.reason}</p>
      </div>
      <section className="card" data-testid="wo-detail" style={{ marginBottom: 12 }}>
        <div className="cmp-kv" style={{ display: "grid", gridTemplateColumns: "160px 1fr", gap: "4px 12px" }}>
          <Row label="Status" testId="wo-detail-status">
            {isOpen ? "open" : `${wo.status} · ${outcomeLabel(wo.outcome, wo.status)}`}
          </Row>
          <Row label="Meter">
            <Link href={`/meters/${encodeURIComponent(wo.meterId)}`} data-testid="wo-detail-meter">
              {wo.meterId}
            </Link>
          </Row>
          {wo.code && (
            <Row label="Found by the campaign">
              <Link href={`/faults?sig=${encodeURIComponent(wo.code)}#root-cause`} data-testid="wo-detail-code">
                {wo.code}
              </Link>
            </Row>
          )}
          <Row label="Campaign" testId="wo-detail-campaign">
            {wo.originCampaign ? (
              <Link href={`/campaigns/${wo.originCampaign.id}`}>{wo.originCampaign.name}</Link>
            ) : (
              <span className="muted">none (preventive plan or made by hand)</span>
            )}
          </Row>
          {wo.followUpOfId && (
            <Row label="Follow-up of">
              <Link href={`/work-orders/${wo.followUpOfId}`} data-testid="wo-detail-follow-up-of">
                the earlier order
              </Link>
            </Row>
          )}
          {wo.followUps.length > 0 && (
            <Row label="Followed up by">
              {wo.followUps.map((f, i) => (
                <span key={f.id}>
                  {i > 0 && ", "}
                  <Link href={`/work-orders/${f.id}`} data-testid="wo-detail-follow-up">
                    the next order
                  </Link>{" "}
                  ({f.status})
                </span>
              ))}
            </Row>
          )}
          <Row label="Created">{formatUtc(wo.createdAt, { zone: true })}</Row>
          {wo.completedAt && (
            <Row label="Closed" testId="wo-detail-closed">
              {formatUtc(wo.completedAt, { zone: true })} by {wo.completedByEmail ?? "—"}
            </Row>
          )}
          {wo.readings && (
            <Row label="Readings" testId="wo-detail-readings">
              {formatReadings(wo.readings)}
            </Row>
          )}
          {wo.notes && (
            <Row label="Notes" testId="wo-detail-notes">
              {wo.notes}
            </Row>
          )}
        </div>
      </section>
      {isOpen &&
        (canComplete ? (
          <CompleteOnPage row={{ id: wo.id, meterId: wo.meterId, jobType: wo.jobType, code: wo.code }} canEditConstants={can(user.role, "meters.edit_constants")} />
        ) : (
          <p className="muted" data-testid="wo-read-only">
            Open: a technician completes it on site. Your role ({user.role}) can read it.
          </p>
        ))}
    </>
  );
}
