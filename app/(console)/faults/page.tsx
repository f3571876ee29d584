import Link from "next/link";
import { requirePagePermission } from "@/lib/auth/session";
import { can } from "@/lib/auth/permissions";
import { EmptyState } from "@/components/empty-state";
import { QueryLimitError } from "@/lib/clickhouse/client";
import { CATALOGUE, findSignature } from "@/lib/faults/catalogue";
import { formatLift, formatPercent } from "@/lib/faults/root-cause";
import { formatTrend } from "@/lib/faults/trend";
import { DAY_MS, WINDOWS, getAnomalies, getFaultMatrix, getLedCorrelation, getRootCause, type WindowKey } from "@/lib/troubleshooting/fault-analysis";
import { getSliceCounts } from "@/lib/fleet/slice-counts";
import { describeSlice, describeWindow } from "@/lib/fleet/slice-counts-text";
import { faultsHref, faultsSliceHref, parseFaultsSearch, sliceOf, type FaultsSearch } from "./search-params";
import { campaignHref, explorerHref, mapHref, metersListHref, sliceWithCell } from "./links";
import { FaultMatrixTable } from "./fault-matrix-table";
import { RootCausePanel } from "./root-cause-panel";
import { LedCorrelationView } from "./led-correlation-view";
import type { MatrixViewRow, RootCauseViewDimension } from "./view-model";
import { formatUtc } from "@/lib/format/time";
import { scheduleLabel } from "@/lib/scheduling/job-types";
import { getNoStepAction } from "@/lib/faults/no-step-actions";

export const metadata = { title: "Troubleshooting matrix" };
export const dynamic = "force-dynamic";

const DIMENSION_LABELS: Record<string, string> = {
  gateway: "Gateway",
  fw_pair: "Firmware pair (metrology/comms)",
  climate_zone: "Climate zone",
  meter_model: "Meter model",
  install_year: "Install year",
  hes_version: "Head-end version",
};

export default async function Page({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const user = await requirePagePermission("faults.view", "/faults");
  const search = parseFaultsSearch(await searchParams);
  const slice = sliceOf(search);
  const to = Date.now();
  const from = to - WINDOWS[search.window];
  const canSchedule = can(user.role, "campaigns.manage");
  const canAlert = can(user.role, "alerts.manage");

  let body: React.ReactNode;
  try {
    body = await renderBody({ search, slice, from, to, canSchedule, canAlert });
  } catch (err) {
    if (!(err instanceof QueryLimitError)) throw err;
    body = (
      <p className="notice error" data-testid="faults-limit">
        This window and slice need more work than the time limit allows. Pick a shorter window or narrow the slice.
      </p>
    );
  }

  return (
    <>
      <div className="page-header">
        <h1>Troubleshooting matrix</h1>
        <p>
          Fault signatures, where they concentrate and what to do. Catalogue <span data-testid="catalogue-version">{CATALOGUE.version}</span>
        </p>
      </div>
      <Filters search={search} />
      {body}
    </>
  );
}

function Filters({ search }: { search: FaultsSearch }) {
  return (
    <div className="card row" style={{ marginBottom: 12 }} data-testid="faults-filters">
      <nav className="row" aria-label="Window" data-testid="window-picker">
        {(Object.keys(WINDOWS) as WindowKey[]).map((w) => (
          <Link
            key={w}
            href={faultsHref(search, { window: w })}
            aria-current={search.window === w ? "page" : undefined}
            className={`badge${search.window === w ? " role-operator" : ""}`}
            data-testid={`window-${w}`}
          >
            {w}
          </Link>
        ))}
      </nav>
      <form method="get" action="/faults" className="row" style={{ flex: 1 }}>
        <input type="hidden" name="window" value={search.window} />
        {search.tab !== "matrix" && <input type="hidden" name="tab" value={search.tab} />}
        <input name="gw" placeholder="gateway" defaultValue={search.gw ?? ""} size={10} aria-label="Gateway" data-testid="filter-gw" />
        <input name="zone" placeholder="climate zone" defaultValue={search.zone ?? ""} size={10} aria-label="Climate zone" />
        <select name="kind" defaultValue={search.kind ?? ""} aria-label="Meter kind">
          <option value="">any kind</option>
          <option value="electric">electric</option>
          <option value="gas">gas</option>
          <option value="water">water</option>
        </select>
        <input name="model" placeholder="model" defaultValue={search.model ?? ""} size={9} aria-label="Meter model" />
        <input name="fw" placeholder="metrology/comms" defaultValue={search.fw ?? ""} size={13} aria-label="Firmware pair" />
        <button type="submit" data-testid="filter-apply">
          Apply
        </button>
        <Link href={faultsHref({ window: search.window, tab: search.tab } as FaultsSearch, {})} className="muted">
          Clear
        </Link>
      </form>
    </div>
  );
}

/** A fault no step fixes: the fix elsewhere, and the step that rules a cause out (linked for schedulers). */
function noStepView(signature: NonNullable<ReturnType<typeof findSignature>>, slice: ReturnType<typeof sliceOf>, days: number, canSchedule: boolean): MatrixViewRow["noStep"] {
  const a = signature.remediation ? null : getNoStepAction(signature.id);
  if (!a) return null;
  const ruleOut = a.ruleOut
    ? {
        href: canSchedule ? campaignHref({ ...signature, remediation: a.ruleOut.jobType }, slice, days) : null,
        label: scheduleLabel(a.ruleOut.jobType),
        why: a.ruleOut.why,
      }
    : null;
  return { text: a.text, ruleOut };
}

/** "Schedule RF analysis for these 12 meters" of a root-cause row: the fault's step on the row's cohort. */
function cohortSchedule(
  signature: NonNullable<ReturnType<typeof findSignature>>,
  narrowed: ReturnType<typeof sliceOf> | null,
  affected: number,
  days: number,
  canSchedule: boolean,
): { href: string; label: string } | null {
  const step = signature.remediation ?? getNoStepAction(signature.id)?.ruleOut?.jobType ?? null;
  if (!canSchedule || !narrowed || !step || affected <= 0) return null;
  const href = campaignHref({ ...signature, remediation: step }, narrowed, days);
  return href ? { href, label: `${scheduleLabel(step)} for these ${affected.toLocaleString("en")} meter${affected === 1 ? "" : "s"}` } : null;
}

interface BodyInput {
  search: FaultsSearch;
  slice: ReturnType<typeof sliceOf>;
  from: number;
  to: number;
  canSchedule: boolean;
  canAlert?: boolean;
}

async function renderBody({ search, slice, from, to, canSchedule, canAlert = false }: BodyInput) {
  const input = { from, to, slice };
  const matrix = await getFaultMatrix(input);
  const anomalies = await getAnomalies(input);
  const days = Math.max(1, Math.ceil((to - from) / DAY_MS));
  const totalEvents = matrix.rows.reduce((s, r) => s + (r.events ?? 0), 0);

  // What surges leads the table (new, or at least tripled), biggest first; the rest keep the catalogue's order.
  const surge = (r: (typeof matrix.rows)[number]) => (r.trend && r.events !== null && (r.trend.direction === "new" || (r.trend.ratio ?? 0) >= 3) ? r.events : -1);
  const ordered = matrix.rows
    .map((r, k) => ({ r, k }))
    .sort((x, y) => surge(y.r) - surge(x.r) || x.k - y.k)
    .map((x) => x.r);
  const rows: MatrixViewRow[] = ordered.map((r) => {
    const signature = findSignature(CATALOGUE, r.id)!;
    const schedule = canSchedule ? campaignHref(signature, slice, days) : null;
    return {
      id: r.id,
      title: r.title,
      severity: r.severity,
      meaning: r.meaning,
      checks: r.checks,
      runbookHref: `/faults/runbooks/${r.runbook}`,
      events: r.events,
      meters: r.meters,
      previousEvents: r.previousEvents,
      trend: r.trend ? { direction: r.trend.direction, percent: r.trend.ratio === null ? null : Math.round((r.trend.ratio - 1) * 100), text: formatTrend(r.trend) } : null,
      sparkline: r.sparkline,
      isJudged: r.isJudged,
      isSelected: search.sig === r.id,
      selectHref: faultsHref(search, { sig: r.id, tab: "matrix" }) + "#root-cause",
      explorerHref: explorerHref(signature, slice, search.window),
      schedule: schedule && r.remediation ? { href: schedule, label: scheduleLabel(r.remediation) } : null,
      noStep: noStepView(signature, slice, days, canSchedule),
      anomalies: anomalies.bySignature[r.id] ?? [],
    };
  });

  const tabs = (
    <nav className="row" style={{ margin: "12px 0 8px" }} aria-label="View" data-testid="faults-tabs">
      <Link href={faultsHref(search, { tab: "matrix" })} className={`badge${search.tab === "matrix" ? " role-operator" : ""}`} data-testid="tab-matrix">
        Matrix
      </Link>
      <Link href={faultsHref(search, { tab: "led" })} className={`badge${search.tab === "led" ? " role-operator" : ""}`} data-testid="tab-led">
        LED × log correlation
      </Link>
    </nav>
  );

  const empty =
    totalEvents === 0 ? (
      <EmptyState title="No fault lines in this window" testId="faults-empty">
        Nothing matched any signature between {formatUtc(from)} and {formatUtc(to, { zone: true })} for this slice. Lines arrive from the file tail, the HTTP ingest endpoint (POST
        /api/ingest) or MQTT (see the Ingest page); `npm run demo` starts a simulated fleet. A wider window or a cleared slice may also help.
      </EmptyState>
    ) : null;

  if (search.tab === "led") {
    const correlation = await getLedCorrelation(input);
    return (
      <>
        {tabs}
        {empty}
        <LedCorrelationView result={correlation} explorerBase={{ range: search.window }} />
      </>
    );
  }

  let rootCause: React.ReactNode = null;
  const selected = search.sig ? findSignature(CATALOGUE, search.sig) : undefined;
  if (selected) {
    const rc = await getRootCause({ ...input, signatureId: selected.id });
    const dimensions: RootCauseViewDimension[] = rc.ranking.dimensions.map((d) => ({
      dimension: d.dimension,
      label: DIMENSION_LABELS[d.dimension] ?? d.dimension,
      association: d.association,
      topValue: d.top?.value ?? null,
      cells: d.cells.slice(0, 8).map((c) => {
        const narrowed = sliceWithCell(slice, d.dimension, c.value);
        return {
          value: c.value,
          affected: c.affected,
          fleet: c.fleet,
          shareOfFault: formatPercent(c.shareOfFault),
          shareOfFleet: formatPercent(c.shareOfFleet),
          lift: formatLift(c.lift),
          hasSupport: c.hasSupport,
          explorerHref: narrowed ? explorerHref(selected, narrowed, search.window) : null,
          mapHref: narrowed ? mapHref(selected.id, narrowed, search.window) : null,
          narrowHref: narrowed ? faultsSliceHref(search, narrowed, { sig: selected.id }) : null,
          place: narrowed ? describeSlice(narrowed) : null,
          // Offered where the fault concentrates (the same test as the dimension's top value), not on every row.
          schedule: c.hasSupport && c.lift > 1 ? cohortSchedule(selected, narrowed, c.affected, days, canSchedule) : null,
        };
      }),
    }));
    rootCause = (
      <RootCausePanel
        signatureId={selected.id}
        title={selected.title}
        sentence={rc.sentence}
        isJudged={rc.isJudged}
        totalAffected={rc.counts.totalAffected}
        totalFleet={rc.counts.totalFleet}
        affectedLabel={`with ${selected.id} ${describeWindow(to - from)}`}
        place={describeSlice(slice)}
        dimensions={dimensions}
        closeHref={faultsHref(search, { sig: undefined })}
      />
    );
  }

  const summary = selected || Object.values(slice).some(Boolean) ? await renderSliceCounts({ search, slice, from, to, canSchedule, signature: selected }) : null;

  return (
    <>
      {tabs}
      {empty}
      {summary}
      <p className="muted" style={{ margin: "0 0 6px" }}>
        {search.window} to now, against the {search.window} before. Select a signature for its root cause.
      </p>
      <FaultMatrixTable rows={rows} canSchedule={canSchedule} canAlert={canAlert} />
      {rootCause}
      <section className="card" style={{ marginTop: 12 }} data-testid="anomalies">
        <h2 style={{ marginTop: 0 }}>Cohort anomalies</h2>
        <p className="muted" style={{ marginTop: 0 }}>
          {anomalies.baselineTo > anomalies.baselineFrom
            ? `Gateways, zones and models whose measures moved by more than 3 standard errors against the ${Math.round((anomalies.baselineTo - anomalies.baselineFrom) / DAY_MS)} days before the window, in windows of the same length (or, without history, against the rest of the fleet). Incidents first: a fault rate at least doubled.`
            : "Gateways, zones and models that stand out from the rest of the fleet by more than 3 standard errors (there is no history before this window to compare with)."}
        </p>
        {anomalies.anomalies.length === 0 ? (
          <p className="muted" data-testid="anomalies-empty">
            No cohort stands out in this window.
          </p>
        ) : (
          <>
            <ol data-testid="anomaly-list" style={{ paddingLeft: 20 }}>
              {anomalies.ranked.shown.map((a) => (
                <li
                  key={`${a.dimension}-${a.value}-${a.measure}`}
                  data-testid="anomaly"
                  data-dimension={a.dimension}
                  data-value={a.value}
                  data-measure={a.measure}
                  data-incident={a.isIncident ? "true" : undefined}
                  title={a.related.length ? `Also moved:\n${a.related.join("\n")}` : undefined}
                >
                  {a.isIncident && (
                    <span className="badge sev-error" style={{ marginRight: 6 }}>
                      incident
                    </span>
                  )}
                  {a.sentence}{" "}
                  <Link href={faultsSliceHref(search, sliceWithCell({}, a.dimension, a.value) ?? {})} data-testid="anomaly-link" scroll={false}>
                    {a.dimension === "gateway" ? a.value : `${a.dimension.replace("_", " ")} ${a.value}`} on this page
                  </Link>
                  {a.related.length > 0 && (
                    <span className="muted">
                      {" "}
                      (and {a.related.length} other measure{a.related.length === 1 ? "" : "s"})
                    </span>
                  )}
                </li>
              ))}
            </ol>
            {anomalies.ranked.more > 0 && (
              <p className="muted" data-testid="anomalies-more">
                {anomalies.ranked.more} more cohort{anomalies.ranked.more === 1 ? "" : "s"} moved less; narrow the slice to see them.
              </p>
            )}
          </>
        )}
      </section>
    </>
  );
}

/**
 * The slice's counts (lib/fleet/slice-counts: one definition for every page), each saying what
 * it counts, with the pages that show the same meters: the meters list, the map, a campaign.
 */
async function renderSliceCounts({ search, slice, from, to, canSchedule, signature }: BodyInput & { signature: ReturnType<typeof findSignature> }) {
  const { labels } = await getSliceCounts({ slice, fault: signature?.id, windowMs: to - from, now: to });
  const list = metersListHref(slice);
  const map = signature
    ? mapHref(signature.id, slice, search.window)
    : `/map?${new URLSearchParams(Object.entries({ gw: slice.gw, zone: slice.zone, kind: slice.kind, model: slice.model }).filter((e): e is [string, string] => Boolean(e[1]))).toString()}`;
  const schedule = signature && canSchedule ? campaignHref(signature, slice, Math.max(1, Math.ceil((to - from) / DAY_MS))) : null;
  const linkFor: Partial<Record<(typeof labels)[number]["key"], { href: string; label: string; testId: string } | null>> = {
    meters: list ? { href: list, label: "list", testId: "slice-meters-link" } : null,
    withFault: schedule && signature?.remediation ? { href: schedule, label: scheduleLabel(signature.remediation), testId: "slice-schedule-link" } : null,
    withOpenFault: { href: map, label: "on the map", testId: "slice-map-link" },
    unhealthy: signature ? null : { href: map, label: "on the map", testId: "slice-map-link" },
  };
  return (
    <section className="card" id="slice-counts" style={{ margin: "0 0 10px" }} data-testid="slice-counts">
      <ul className="row" style={{ listStyle: "none", margin: 0, padding: 0, gap: 14 }}>
        {labels.map((l, i) => {
          const link = linkFor[l.key];
          return (
            <li key={l.key} data-testid={`slice-count-${l.key}`} data-value={l.value} style={i ? { borderLeft: "1px solid var(--border)", paddingLeft: 14 } : undefined}>
              <strong>{l.text}</strong>
              {link && (
                <>
                  {" "}
                  ·{" "}
                  <Link href={link.href} data-testid={link.testId}>
                    {link.label}
                  </Link>
                </>
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
