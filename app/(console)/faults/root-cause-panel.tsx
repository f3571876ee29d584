"use client";
import Link from "next/link";
import { useMemo } from "react";
import { createColumnHelper, getCoreRowModel, useReactTable } from "@tanstack/react-table";
import { DataTable } from "@/components/data-table";
import type { RootCauseViewCell, RootCauseViewDimension } from "./view-model";

const col = createColumnHelper<RootCauseViewCell>();
/** affectedLabel: what "affected" counts, e.g. "with E105 in the last 24 h" (lib/fleet/slice-counts). */
const columnsFor = (affectedLabel: string) => [
  col.accessor("value", {
    header: "Value",
    cell: (c) =>
      c.row.original.narrowHref ? (
        <Link href={c.row.original.narrowHref} data-testid="cell-value" title={`Counts and links for the meters ${c.row.original.place}`}>
          {c.getValue()}
        </Link>
      ) : (
        <span data-testid="cell-value">{c.getValue()}</span>
      ),
  }),
  col.accessor("affected", {
    header: `Meters ${affectedLabel}`,
    cell: (c) => (
      <span data-testid="cell-affected" data-affected={c.getValue()} data-meters={c.row.original.fleet}>
        {c.getValue().toLocaleString("en")} of {c.row.original.fleet.toLocaleString("en")}
        {c.row.original.place ? ` ${c.row.original.place}` : ""}
      </span>
    ),
  }),
  col.accessor("shareOfFault", { header: "Share of fault" }),
  col.accessor("shareOfFleet", { header: "Share of fleet" }),
  col.accessor("lift", {
    header: "Lift",
    cell: (c) => (
      <span title={c.row.original.hasSupport ? undefined : "too few meters to rank"}>
        {c.getValue()}
        {c.row.original.hasSupport ? "" : " *"}
      </span>
    ),
  }),
  col.display({
    id: "links",
    header: "",
    cell: (c) => (
      <span className="row" style={{ flexWrap: "nowrap" }}>
        {c.row.original.explorerHref && (
          <Link href={c.row.original.explorerHref} data-testid="explorer-link">
            lines in explorer
          </Link>
        )}
        {c.row.original.mapHref && (
          <Link href={c.row.original.mapHref} data-testid="map-link" title="The map shows the meters whose latest fault is this one, still open">
            open ones on map
          </Link>
        )}
        {c.row.original.schedule && (
          <Link href={c.row.original.schedule.href} data-testid="cohort-schedule-link" className="button" style={{ whiteSpace: "nowrap" }}>
            {c.row.original.schedule.label}
          </Link>
        )}
      </span>
    ),
  }),
];

function DimensionTable({ d, affectedLabel }: { d: RootCauseViewDimension; affectedLabel: string }) {
  const columns = useMemo(() => columnsFor(affectedLabel), [affectedLabel]);
  const table = useReactTable({ data: d.cells, columns, getCoreRowModel: getCoreRowModel() });
  return (
    <div data-testid="root-cause-dimension" data-dimension={d.dimension} data-top={d.topValue ?? ""} style={{ marginTop: 10 }}>
      <h3 style={{ margin: "4px 0" }}>
        {d.label}{" "}
        <span className="muted" style={{ fontWeight: 400, fontSize: 12 }}>
          association {d.association.toFixed(2)}
        </span>
      </h3>
      {d.cells.length === 0 ? <p className="muted">No affected meters to place.</p> : <DataTable table={table} rowProps={() => ({ "data-testid": "root-cause-cell" })} />}
    </div>
  );
}

export function RootCausePanel(props: {
  signatureId: string;
  title: string;
  sentence: string;
  isJudged: boolean;
  totalAffected: number;
  totalFleet: number;
  /** What "affected" counts: "with E105 in the last 24 h". */
  affectedLabel: string;
  /** The slice the totals are of: "behind GW-0042", "in the fleet". */
  place: string;
  dimensions: RootCauseViewDimension[];
  closeHref: string;
}) {
  return (
    <section className="card" id="root-cause" style={{ marginTop: 12 }} data-testid="root-cause" data-signature={props.signatureId}>
      <div className="row">
        <h2 style={{ margin: 0 }}>Root cause: {props.title}</h2>
        <span className="spacer" />
        <Link href={props.closeHref} scroll={false}>
          Close
        </Link>
      </div>
      <p data-testid="root-cause-sentence">{props.sentence}</p>
      <p className="muted" style={{ marginTop: 0 }}>
        <span data-testid="root-cause-totals">
          {props.totalAffected.toLocaleString("en")} {props.affectedLabel} of {props.totalFleet.toLocaleString("en")} meters {props.place}
        </span>
        . Dimensions are ranked by how much they explain the fault; values by the lift we are 95 % sure of (* = fewer than 3 affected meters).
      </p>
      {props.isJudged && props.dimensions.map((d) => <DimensionTable key={d.dimension} d={d} affectedLabel={props.affectedLabel} />)}
    </section>
  );
}
