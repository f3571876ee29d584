// The meter's maintenance history (lib/maintenance/history): work orders and campaign steps,
// newest first, who, when, the outcome and what was measured, each linked to its order or campaign.
import Link from "next/link";
import type { MaintenanceEntry } from "@/lib/maintenance/history";
import { formatUtc } from "@/lib/format/time";

export function MaintenanceHistory({ entries, canSeeOrders }: { entries: MaintenanceEntry[]; canSeeOrders: boolean }) {
  return (
    <section className="card" style={{ marginBottom: 12 }} data-testid="maintenance-history">
      <h2 style={{ marginTop: 0 }}>Maintenance history</h2>
      {entries.length ? (
        <table className="data" data-testid="maintenance-history-table">
          <thead>
            <tr>
              <th>When (UTC)</th>
              <th>Job</th>
              <th>Outcome</th>
              <th>Who</th>
              <th>Readings and notes</th>
              <th>From</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((e) => (
              <tr key={`${e.kind}-${e.workOrderId ?? e.campaign?.id}-${e.at}`} data-testid="history-row" data-kind={e.kind} data-job={e.jobType}>
                <td className="nowrap">{formatUtc(e.at, { seconds: false })}</td>
                <td>
                  {e.jobLabel}
                  <div className="muted" style={{ fontSize: 11 }}>
                    {e.kind === "work_order" ? "field work order" : "campaign step"}
                  </div>
                </td>
                <td data-testid="history-outcome" className={e.outcome.startsWith("failed") || e.outcome === "not fixed" ? "error-text" : undefined}>
                  {e.outcome}
                </td>
                <td>{e.who ?? <span className="muted">—</span>}</td>
                <td>
                  {e.readings && <div data-testid="history-readings">{e.readings}</div>}
                  {e.notes && <div className="muted">{e.notes}</div>}
                  {!e.readings && !e.notes && e.detail && <div className="muted">{e.detail}</div>}
                </td>
                <td>
                  {e.campaign && (
                    <div>
                      <Link href={`/campaigns/${e.campaign.id}`} data-testid="history-campaign-link">
                        {e.campaign.name}
                      </Link>
                    </div>
                  )}
                  {e.workOrderId && canSeeOrders && (
                    <div>
                      <Link href={`/work-orders/${e.workOrderId}`} data-testid="history-order-link">
                        work order
                      </Link>
                      {e.followUpOfId && (
                        <>
                          {" "}
                          · follow-up of{" "}
                          <Link href={`/work-orders/${e.followUpOfId}`} data-testid="history-follow-up-of">
                            earlier order
                          </Link>
                        </>
                      )}
                    </div>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="muted" style={{ margin: 0 }} data-testid="maintenance-history-empty">
          No maintenance recorded for this meter yet: campaign steps and field work orders appear here.
        </p>
      )}
    </section>
  );
}
