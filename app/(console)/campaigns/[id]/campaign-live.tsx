"use client";
import { useRouter } from "next/navigation";
import { useEffect, useState, useTransition } from "react";
import { io } from "socket.io-client";
import { isActionAllowed } from "@/lib/campaigns/lifecycle";
import { formatUtc } from "@/lib/format/time";
import type { CampaignProgress } from "@/lib/campaigns/progress";
import type { CampaignOutcomes } from "@/lib/campaigns/service";
import type { BatchEnvelope } from "@/lib/realtime/rooms";
import { abortCampaignAction, approveCampaignAction, pauseCampaignAction, resumeCampaignAction, retryFailedAction, skipWaveAction, startCampaignAction } from "../actions";
import { CampaignTimeline, useCampaignOutcomes } from "./campaign-timeline";
import { CodeLink, GatewayLink, MeterLink } from "@/components/fleet-links";
import { SoakCountdown } from "./soak-countdown";

/** "2026-12-07 06:47 UTC (07:47 Europe/Berlin)": waves are planned in one zone's local window. */
function scheduledText(iso: string, timezone: string, windowEnd: string | null): string {
  const utc = `${iso.replace("T", " ").slice(0, 16)} UTC`;
  if (!timezone || timezone === "UTC") return utc;
  try {
    const clock = new Intl.DateTimeFormat("en-GB", { timeZone: timezone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
    const local = clock.format(new Date(iso));
    return `${utc} (${local} ${timezone}${windowEnd ? `, window until ${clock.format(new Date(windowEnd))}` : ""})`;
  } catch {
    return utc;
  }
}

type ActionFn = (input: unknown) => Promise<{ ok: true; data: unknown } | { ok: false; error: string }>;

export function CampaignLive({
  campaignId,
  initial,
  outcomes: initialOutcomes,
  canManage,
  canApprove,
  approval,
}: {
  campaignId: string;
  initial: CampaignProgress;
  outcomes: CampaignOutcomes | null;
  canManage: boolean;
  canApprove: boolean;
  approval: string | null;
}) {
  const router = useRouter();
  const [progress, setProgress] = useState(initial);
  const [isLive, setIsLive] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [isPending, startTransition] = useTransition();

  useEffect(() => setProgress(initial), [initial]);
  const { outcomes, error: outcomesError } = useCampaignOutcomes(campaignId, initialOutcomes, progress.updatedAt);
  const failures = outcomes?.failures ?? [];
  useEffect(() => {
    const socket = io({ transports: ["websocket", "polling"] });
    const room = `campaign:${campaignId}`;
    socket.on("connect", () => socket.emit("subscribe", room, (ack: { ok?: boolean } | undefined) => setIsLive(ack?.ok !== false)));
    socket.on("disconnect", () => setIsLive(false));
    socket.on("batch", (b: BatchEnvelope<CampaignProgress>) => {
      if (b.room === room && b.event === "progress" && b.items.length) setProgress(b.items[b.items.length - 1]!);
    });
    return () => {
      socket.disconnect();
    };
  }, [campaignId]);

  const run = (fn: ActionFn) =>
    startTransition(async () => {
      setError(null);
      const r = await fn({ campaignId });
      if (!r.ok) setError(r.error);
      router.refresh();
    });

  const s = progress.status;
  const total = Object.values(progress.counts).reduce((a, b) => a + b, 0);
  const count = (k: string) => progress.counts[k] ?? 0;
  const findings = progress.findings ?? [];
  const findingMeters = findings.reduce((n, f) => n + f.meters, 0);
  const buttons: { id: string; label: string; fn: ActionFn; show: boolean; danger?: boolean }[] = [
    { id: "start", label: s === "approved" ? "Start (approved)" : "Start", fn: startCampaignAction, show: canManage && isActionAllowed("start", s) },
    { id: "approve", label: "Approve", fn: approveCampaignAction, show: canApprove && isActionAllowed("approve", s) },
    { id: "pause", label: "Pause", fn: pauseCampaignAction, show: canManage && isActionAllowed("pause", s) },
    { id: "resume", label: "Resume", fn: resumeCampaignAction, show: canManage && isActionAllowed("resume", s) },
    { id: "skip", label: "Skip to next wave", fn: skipWaveAction, show: canManage && isActionAllowed("skip", s) },
    { id: "retry", label: "Retry failed", fn: retryFailedAction, show: canManage && count("failed") > 0 && isActionAllowed("retry", s) },
    { id: "abort", label: "Abort", fn: abortCampaignAction, show: canManage && isActionAllowed("abort", s), danger: true },
  ];

  return (
    <div data-testid="campaign-live">
      <section className="card">
        <div className="cmp-kv">
          <span>Status</span>
          <strong data-testid="campaign-status">{s.replace("_", " ")}</strong>
          {progress.statusReason && (
            <>
              <span>Why</span>
              <span>
                <span data-testid="campaign-status-reason">{progress.statusReasonText ?? progress.statusReason}</span>
                {progress.statusReasonText !== progress.statusReason && (
                  <details style={{ display: "inline-block", marginLeft: 8 }} data-testid="campaign-status-detail">
                    <summary className="muted" style={{ cursor: "pointer" }}>
                      detail
                    </summary>
                    <code style={{ fontSize: 11 }}>{progress.statusReason}</code>
                  </details>
                )}
              </span>
            </>
          )}
          {approval && (
            <>
              <span>Approval</span>
              <span data-testid="campaign-approval">{approval}</span>
            </>
          )}
          <span>Meters</span>
          <span data-testid="campaign-counts">
            {count("succeeded")} succeeded{findingMeters ? ` (${findingMeters} with findings)` : ""} · {count("failed")} failed ·{" "}
            {count("pending") + count("leased") + count("sent")} to do · {count("excluded")} excluded · {count("skipped")} skipped (of {total})
          </span>
          <span>Live</span>
          <span data-testid="live-indicator">{isLive ? "connected" : "not connected"}</span>
        </div>
        <div className="cmp-actions" data-testid="campaign-actions">
          {buttons
            .filter((b) => b.show)
            .map((b) => (
              <button
                key={b.id}
                type="button"
                className={b.danger ? "danger" : b.id === "start" || b.id === "approve" ? "primary" : ""}
                data-testid={`action-${b.id}`}
                disabled={isPending}
                onClick={() => run(b.fn)}
              >
                {b.label}
              </button>
            ))}
        </div>
        {error && (
          <p className="error-text" role="alert" data-testid="action-error">
            {error}
          </p>
        )}
      </section>
      <CampaignTimeline timeline={outcomes?.timeline ?? null} error={outcomesError} status={progress.status} />
      <div className="cmp-grid">
        <section className="card">
          <h2>Waves</h2>
          {progress.waves.length ? (
            <div className="cmp-scroll">
              <table className="data" data-testid="wave-table">
                <thead>
                  <tr>
                    <th>#</th>
                    <th>State</th>
                    <th>Progress</th>
                    <th>Gate</th>
                  </tr>
                </thead>
                <tbody>
                  {progress.waves.map((w) => {
                    const done = w.counts.succeeded ?? 0;
                    const failed = (w.counts.failed ?? 0) + (w.counts.excluded ?? 0);
                    const n = Object.values(w.counts).reduce((a, b) => a + b, 0) || w.size || 1;
                    return (
                      <tr key={w.index} data-testid="wave-row" data-state={w.state}>
                        <td>
                          {w.index}
                          {w.isCanary ? " canary" : ""}
                        </td>
                        <td>{w.state}</td>
                        <td>
                          <div className="bar" data-testid="wave-bar">
                            <span style={{ width: `${(100 * done) / n}%` }} />
                            <span className="fail" style={{ width: `${(100 * failed) / n}%` }} />
                            <em>
                              {done}/{n}
                            </em>
                          </div>
                        </td>
                        <td data-testid="wave-gate">
                          {w.state === "soaking" && w.soakEndsAt ? (
                            <SoakCountdown soakEndsAt={w.soakEndsAt} nextWave={progress.waves.find((x) => x.index > w.index && x.state === "pending")?.index ?? null} />
                          ) : w.gateText ? (
                            <span title={w.reasons.map((r) => `${r.code}: ${r.message}`).join("; ")}>{w.gateText}</span>
                          ) : w.state === "pending" ? (
                            `scheduled ${scheduledText(w.scheduledAt, w.timezone, w.windowEnd)}`
                          ) : w.state === "passed" ? (
                            `passed${w.reasons.find((r) => r.code === "HEALTHY") ? `: ${w.reasons.find((r) => r.code === "HEALTHY")!.message}` : ""}`
                          ) : (
                            w.reasons.map((r) => `${r.code}: ${r.message}`).join("; ")
                          )}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          ) : (
            <p className="muted">No waves yet: the campaign is a draft.</p>
          )}
        </section>
        <section className="card">
          <h2>Gateway load (active wave)</h2>
          {progress.gateways.length ? (
            <div className="cmp-scroll" data-testid="gateway-load">
              {progress.gateways.map((g) => (
                <div key={g.gatewayId} style={{ display: "grid", gridTemplateColumns: "90px 1fr", gap: 6, marginBottom: 4 }}>
                  <GatewayLink id={g.gatewayId} testId="load-gateway" />
                  <div className="bar">
                    <span style={{ width: `${(100 * (g.done + g.inFlight)) / Math.max(1, g.total)}%` }} />
                    <em>
                      {g.inFlight} in flight · {g.done} done · {g.failed} failed
                    </em>
                  </div>
                </div>
              ))}
            </div>
          ) : (
            <p className="muted">No active wave.</p>
          )}
          <h2>Failures by code</h2>
          {progress.failuresByCode.length ? (
            <table className="data" data-testid="failures-by-code">
              <tbody>
                {progress.failuresByCode.map((f) => (
                  <tr key={f.code}>
                    <td>
                      <CodeLink code={f.code} testId="failure-code" />
                    </td>
                    <td>{f.meters}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <p className="muted" data-testid="no-failures">
              No failures.
            </p>
          )}
          {findings.length > 0 && (
            <>
              <h2>Findings</h2>
              <p className="muted">What the step found on the meters: results, not failures. Each became a field work order.</p>
              <table className="data" data-testid="findings-by-code">
                <thead>
                  <tr>
                    <th>Code</th>
                    <th>Found</th>
                    <th>Meters</th>
                    <th>Fix on site</th>
                  </tr>
                </thead>
                <tbody>
                  {findings.map((f) => (
                    <tr key={f.code} data-testid="finding-row" data-code={f.code}>
                      <td>
                        <CodeLink code={f.code} testId="finding-code" />
                      </td>
                      <td>{f.label}</td>
                      <td>{f.meters}</td>
                      <td>
                        {f.action} · <a href={`/faults/runbooks/${encodeURIComponent(f.runbook)}`}>runbook</a>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <p data-testid="follow-ups">
                <a href={`/work-orders?status=all&campaign=${encodeURIComponent(campaignId)}`} data-testid="follow-ups-link">
                  {progress.followUps.total} follow-up work order{progress.followUps.total === 1 ? "" : "s"}
                </a>
                , {progress.followUps.open} open
              </p>
            </>
          )}
        </section>
      </div>
      <section className="card">
        <h2>Latest failed steps (audit log)</h2>
        {failures.length ? (
          <div className="cmp-scroll">
            <table className="data" data-testid="failed-lines">
              <thead>
                <tr>
                  <th>Time (UTC)</th>
                  <th>Meter</th>
                  <th>Gateway</th>
                  <th>Code</th>
                  <th>Result</th>
                  <th>Message</th>
                </tr>
              </thead>
              <tbody>
                {failures.map((f, i) => (
                  <tr key={i}>
                    <td>{formatUtc(f.ts, { seconds: true })}</td>
                    <td>
                      <MeterLink id={f.meter} testId="failed-meter" />
                    </td>
                    <td>
                      <GatewayLink id={f.gw} testId="failed-gateway" />
                    </td>
                    <td>
                      <CodeLink code={f.code} testId="failed-code" />
                    </td>
                    <td>{f.result}</td>
                    <td>{f.msg}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <p className="muted">No failed step lines.</p>
        )}
      </section>
    </div>
  );
}
