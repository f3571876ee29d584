"use client";
import Link from "next/link";
import { createColumnHelper, getCoreRowModel, useReactTable } from "@tanstack/react-table";
import { DataTable } from "@/components/data-table";
import type { RootCauseViewCell, RootCauseViewDimension } from "./view-model";

const col = createColumnHelper<RootCauseViewCell>();
const columns = [
  col.accessor("value", { header: "Value", cell: (c) => <span data-testid="cell-value">{c.getValue()}</span> }),
  col.accessor("affected", { header: "Affected", cell: (c) => `${c.getValue().toLocaleString("en")} of ${c.row.original.fleet.toLocaleString("en")}` }),
  col.accessor("shareOfFault", { header: "Share of fault" }),
  col.accessor("shareOfFleet", { header: "Share of fleet" }),
  col.accessor("lift", { header: "Lift", cell: (c) => <span title={c.row.original.hasSupport ? undefined : "too few meters to rank"}>{c.getValue()}{c.row.original.hasSupport ? "" : " *"}</span> }),
  col.display({
    id: "links",
    header: "",
    cell: (c) => (
      <span className="row" style={{ flexWrap: "nowrap" }}>
        {c.row.original.explorerHref && <Link href={c.row.original.explorerHref} data-testid="explorer-link">lines in explorer</Link>}
        {c.row.original.mapHref && <Link href={c.row.original.mapHref} data-testid="map-link">meters on map</Link>}
      </span>
    ),
  }),
];

function DimensionTable({ d }: { d: RootCauseViewDimension }) {
  const table = useReactTable({ data: d.cells, columns, getCoreRowModel: getCoreRowModel() });
  return (
    <div data-testid="root-cause-dimension" data-dimension={d.dimension} data-top={d.topValue ?? ""} style={{ marginTop: 10 }}>
      <h3 style={{ margin: "4px 0" }}>
        {d.label} <span className="muted" style={{ fontWeight: 400, fontSize: 12 }}>association {d.association.toFixed(2)}</span>
      </h3>
      {d.cells.length === 0 ? (
        <p className="muted">No affected meters to place.</p>
      ) : (
        <DataTable table={table} rowProps={() => ({ "data-testid": "root-cause-cell" })} />
      )}
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
  dimensions: RootCauseViewDimension[];
  closeHref: string;
}) {
  return (
    <section className="card" id="root-cause" style={{ marginTop: 12 }} data-testid="root-cause" data-signature={props.signatureId}>
      <div className="row">
        <h2 style={{ margin: 0 }}>Root cause: {props.title}</h2>
        <span className="spacer" />
        <Link href={props.closeHref} scroll={false}>Close</Link>
      </div>
      <p data-testid="root-cause-sentence">{props.sentence}</p>
      <p className="muted" style={{ marginTop: 0 }}>
        {props.totalAffected.toLocaleString("en")} affected of {props.totalFleet.toLocaleString("en")} meters in the fleet slice. Dimensions are ranked by how much they explain the fault; values by the lift we are 95 % sure of (* = fewer than 3 affected meters).
      </p>
      {props.isJudged && props.dimensions.map((d) => <DimensionTable key={d.dimension} d={d} />)}
    </section>
  );
}
