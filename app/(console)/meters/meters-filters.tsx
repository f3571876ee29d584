"use client";
// Filters live in the URL: a GET form (next/form navigates client-side); a change submits at once.
import Form from "next/form";
import Link from "next/link";
import { useRef } from "react";
import { GATEWAY_ID_PATTERN } from "@/lib/fleet/ids";
import type { MetersSearch } from "./search-params";

const STATE_LABELS: Record<string, string> = { critical: "Critical fault", error: "Error", warn: "Warning", normal: "Normal", stale: "Not heard from" };
const CERT_LABELS: Record<string, string> = { expired: "Expired", "30d": "Expires within 30 days", "90d": "Expires within 90 days", "180d": "Expires within 180 days" };

export function MetersFilters(props: { search: MetersSearch; zones: { id: string; name: string }[]; gateways: string[]; firmwarePairs: { value: string; count: number }[] }) {
  const { search } = props;
  const form = useRef<HTMLFormElement>(null);
  const submit = () => form.current?.requestSubmit();
  return (
    <Form action="/meters" ref={form} className="card row" style={{ marginBottom: 12, alignItems: "flex-end" }} data-testid="meters-filters">
      <label>
        Meter id
        <input name="q" defaultValue={search.q ?? ""} placeholder="EM-00012" size={12} data-testid="filter-q" pattern="[A-Z]{1,2}(-[0-9]{0,10})?" />
      </label>
      <label>
        Kind
        <select name="kind" defaultValue={search.kind ?? ""} onChange={submit} data-testid="filter-kind">
          <option value="">All</option>
          <option value="electric">Electric</option>
          <option value="gas">Gas</option>
          <option value="water">Water</option>
        </select>
      </label>
      <label>
        Gateway
        <input name="gw" list="meters-gateways" defaultValue={search.gw ?? ""} placeholder="GW-0042" size={10} data-testid="filter-gw" pattern={GATEWAY_ID_PATTERN} />
        <datalist id="meters-gateways">
          {props.gateways.map((g) => (
            <option key={g} value={g} />
          ))}
        </datalist>
      </label>
      <label>
        Climate zone
        <select name="zone" defaultValue={search.zone ?? ""} onChange={submit} data-testid="filter-zone">
          <option value="">All</option>
          {props.zones.map((z) => (
            <option key={z.id} value={z.id}>
              {z.id}
            </option>
          ))}
        </select>
      </label>
      <label>
        Firmware (metrology/comms)
        <select name="fw" defaultValue={search.fw ?? ""} onChange={submit} data-testid="filter-fw">
          <option value="">All</option>
          {props.firmwarePairs.map((p) => (
            <option key={p.value} value={p.value}>
              {p.value} ({p.count.toLocaleString("en")})
            </option>
          ))}
        </select>
      </label>
      <label>
        State
        <select name="state" defaultValue={search.state ?? ""} onChange={submit} data-testid="filter-state">
          <option value="">All</option>
          {Object.entries(STATE_LABELS).map(([v, l]) => (
            <option key={v} value={v}>
              {l}
            </option>
          ))}
        </select>
      </label>
      <label>
        Certificate
        <select name="cert" defaultValue={search.cert ?? ""} onChange={submit} data-testid="filter-cert">
          <option value="">Any expiry</option>
          {Object.entries(CERT_LABELS).map(([v, l]) => (
            <option key={v} value={v}>
              {l}
            </option>
          ))}
        </select>
      </label>
      {search.sort !== "id" && <input type="hidden" name="sort" value={search.sort} />}
      {search.dir !== "asc" && <input type="hidden" name="dir" value={search.dir} />}
      <button type="submit" className="primary" data-testid="filter-apply">
        Apply
      </button>
      <Link href="/meters" className="button" data-testid="filter-clear">
        Clear
      </Link>
    </Form>
  );
}
