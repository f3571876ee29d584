import Link from "next/link";
import { requirePagePermission } from "@/lib/auth/session";
import { EmptyState } from "@/components/empty-state";
import { QueryLimitError } from "@/lib/clickhouse/client";
import { findMeters, getMeterFilterOptions } from "@/lib/fleet/meters";
import { filtersOf, metersHref, parseMetersSearch, FILTER_KEYS } from "./search-params";
import { MetersFilters } from "./meters-filters";
import { MetersTable, type MeterTableRow } from "./meters-table";
import { describeSlice } from "@/lib/fleet/slice-counts-text";
import { can } from "@/lib/auth/permissions";
import { scheduleLabel } from "@/lib/scheduling/job-types";

export const metadata = { title: "Meters" };
export const dynamic = "force-dynamic";

export default async function Page({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const user = await requirePagePermission("fleet.view", "/meters");
  const search = parseMetersSearch(await searchParams);
  const options = await getMeterFilterOptions();
  const hasFilters = FILTER_KEYS.some((k) => search[k] !== undefined);

  if (!options.gateways.length) {
    return (
      <>
        <Header />
        <EmptyState title="No meters yet" testId="meters-empty-fleet">
          Import a fleet with <code>npm run fleet:import -- meters.csv</code> (format in docs/fleet-csv.md), generate one with <code>npm run simulate</code>, or start the demo with{" "}
          <code>npm run demo</code>.
        </EmptyState>
      </>
    );
  }

  let result: Awaited<ReturnType<typeof findMeters>> | null = null;
  let limitHit = false;
  try {
    result = await findMeters({ filters: filtersOf(search), sort: search.sort, desc: search.dir === "desc", page: search.page });
  } catch (err) {
    if (!(err instanceof QueryLimitError)) throw err;
    limitHit = true;
  }

  const rows: MeterTableRow[] = (result?.rows ?? []).map((r) => ({
    id: r.meter,
    kind: r.kind,
    model: r.model,
    gateway: r.gw,
    zone: r.zone,
    firmware: `${r.fw_metrology}/${r.fw_comms}`,
    installed: r.installed_at,
    cert: r.cert_not_after,
    lastSeen: r.last_seen > 0 ? r.last_seen : null,
    state: r.state,
    faultCode: r.fault_code,
  }));
  const sortHrefs = Object.fromEntries(
    (["id", "kind", "model", "gateway", "zone", "firmware", "installed", "cert", "lastSeen", "state"] as const).map((k) => [
      k,
      metersHref(search, { sort: k, dir: search.sort === k && search.dir === "asc" ? "desc" : "asc", page: 1 }),
    ]),
  );

  return (
    <>
      <Header total={result?.total} what={describeMeters(search)} />
      {search.gw && can(user.role, "campaigns.manage") && (
        <p data-testid="meters-gateway-actions">
          <Link className="button" href={`/campaigns/new?jobType=rf_analysis&gw=${encodeURIComponent(search.gw)}`} data-testid="meters-gateway-schedule">
            {scheduleLabel("rf_analysis")} of the meters behind {search.gw}
          </Link>{" "}
          <Link href={`/map?gw=${encodeURIComponent(search.gw)}`}>{search.gw} on the map</Link> · <Link href={`/faults?gw=${encodeURIComponent(search.gw)}`}>its faults</Link>
        </p>
      )}
      <MetersFilters
        search={search}
        zones={options.zones}
        gateways={options.gateways.map((g) => g.id)}
        firmwarePairs={options.firmwarePairs.map((p) => ({ value: `${p.fw_metrology}/${p.fw_comms}`, count: p.n }))}
      />
      {limitHit ? (
        <p className="notice error" data-testid="meters-limit">
          This query needs more work than the time limit allows. Narrow the filters.
        </p>
      ) : result && result.total === 0 ? (
        <EmptyState title="No meter matches these filters" testId="meters-empty">
          {hasFilters ? <Link href="/meters">Clear the filters</Link> : "The fleet copy in the analytics store is empty: re-run the import."}
        </EmptyState>
      ) : (
        result && (
          <>
            <MetersTable rows={rows} sort={search.sort} dir={search.dir} sortHrefs={sortHrefs} />
            <nav className="row" style={{ marginTop: 8 }} aria-label="Pages" data-testid="meters-pager">
              <span className="muted" data-testid="meters-page-info">
                Page {search.page} of {result.pages.toLocaleString("en")} · {result.total.toLocaleString("en")} meters
              </span>
              <span className="spacer" />
              {search.page > 1 && (
                <Link className="button" href={metersHref(search, { page: search.page - 1 })}>
                  Previous
                </Link>
              )}
              {search.page < result.pages && (
                <Link className="button" href={metersHref(search, { page: search.page + 1 })} data-testid="meters-next">
                  Next
                </Link>
              )}
            </nav>
          </>
        )
      )}
    </>
  );
}

/** "meters behind GW-0042" in the words of the other pages (lib/fleet/slice-counts-text), or null with list-only filters. */
function describeMeters(s: Parameters<typeof filtersOf>[0]): string | null {
  if (s.state || s.cert || s.q) return null;
  const [fwMetrology, fwComms] = s.fw ? s.fw.split("/") : [undefined, undefined];
  return `${s.kind ? `${s.kind} meters` : "meters"} ${describeSlice({ gw: s.gw, zone: s.zone, fwMetrology, fwComms })}`;
}

function Header({ total, what }: { total?: number; what?: string | null }) {
  return (
    <div className="page-header">
      <h1>Meters</h1>
      <p data-testid="meters-total">
        {total === undefined ? "The fleet, meter by meter." : what ? `${total.toLocaleString("en")} ${what}.` : `${total.toLocaleString("en")} meters match.`}
      </p>
    </div>
  );
}
