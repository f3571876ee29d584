import Link from "next/link";
import { requirePagePermission } from "@/lib/auth/session";
import { dueListSearchSchema, findDueItems, type DueListSearch } from "@/lib/maintenance/service";
import { EmptyState } from "@/components/empty-state";
import { ScheduleNav } from "../schedule-nav";
import { DueTable } from "./due-table";

export const metadata = { title: "Due and overdue" };
export const dynamic = "force-dynamic";

function one(v: string | string[] | undefined) {
  return (Array.isArray(v) ? v[0] : v) || undefined;
}

function dueHref(s: DueListSearch, patch: Partial<DueListSearch>, base = "/schedule/due"): string {
  const next = { ...s, ...patch };
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(next)) if (v !== undefined && v !== "") q.set(k, String(v));
  return `${base}?${q.toString()}`;
}

export default async function Page({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const user = await requirePagePermission("schedule.view", "/schedule/due");
  const sp = await searchParams;
  const search = dueListSearchSchema.parse(Object.fromEntries(Object.keys(dueListSearchSchema.shape).map((k) => [k, one(sp[k])])));
  const r = await findDueItems(user, search);
  const sortHref = (col: "due" | "meter") => dueHref(search, { sort: col, dir: search.sort === col && search.dir === "asc" ? "desc" : "asc", page: 1 });
  return (
    <>
      <div className="page-header">
        <h1>Due and overdue</h1>
        <p>
          Every meter&apos;s next job under each plan, with the reason. <span data-testid="due-total">{r.total.toLocaleString("en-US")} items</span>
        </p>
      </div>
      <ScheduleNav current="/schedule/due" />
      <form className="row" style={{ gap: 8, flexWrap: "wrap", marginBottom: 10 }} data-testid="due-filters">
        <select name="status" defaultValue={search.status} aria-label="Status">
          <option value="overdue">Overdue</option>
          <option value="due">Due within 30 days</option>
          <option value="all">All dated</option>
        </select>
        <select name="plan" defaultValue={search.plan ?? ""} aria-label="Plan">
          <option value="">Every plan</option>
          {r.plans.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </select>
        <select name="zone" defaultValue={search.zone ?? ""} aria-label="Climate zone">
          <option value="">Every zone</option>
          {r.zones.map((z) => (
            <option key={z}>{z}</option>
          ))}
        </select>
        <select name="kind" defaultValue={search.kind ?? ""} aria-label="Kind">
          <option value="">Every kind</option>
          <option>electric</option>
          <option>gas</option>
          <option>water</option>
        </select>
        <select name="district" defaultValue={search.district ?? ""} aria-label="District">
          <option value="">Every district</option>
          {r.districts.map((d) => (
            <option key={d}>{d}</option>
          ))}
        </select>
        <label>
          <input type="checkbox" name="triggered" value="1" defaultChecked={search.triggered === "1"} /> brought forward by a condition
        </label>
        <button type="submit">Show</button>
        <a className="button" href={dueHref(search, { page: 1 }, "/schedule/due/export")} data-testid="due-csv" download>
          CSV
        </a>
      </form>
      {r.total === 0 ? (
        <EmptyState title="Nothing matches" testId="due-empty">
          No meter is {search.status === "overdue" ? "overdue" : "due"} under these filters. <Link href="/schedule/due?status=all">Show all dated items</Link>
        </EmptyState>
      ) : (
        <>
          <DueTable rows={r.rows} sort={search.sort} dir={search.dir} sortHrefs={{ due: sortHref("due"), meter: sortHref("meter") }} />
          <p className="row" style={{ gap: 12 }} data-testid="due-pager">
            {search.page > 1 && <Link href={dueHref(search, { page: search.page - 1 })}>← previous</Link>}
            <span>
              page {search.page} of {r.pages.toLocaleString("en-US")}
            </span>
            {search.page < r.pages && (
              <Link href={dueHref(search, { page: search.page + 1 })} data-testid="due-next">
                next →
              </Link>
            )}
          </p>
        </>
      )}
    </>
  );
}
