"use client";
// The map's search (a meter or a gateway) and its filters, all in the URL.
import { useEffect, useState } from "react";
import type { MapFilters } from "@/lib/map/types";
import styles from "./fleet-map.module.css";

interface Props {
  filters: MapFilters;
  setFilters: (f: (f: MapFilters) => MapFilters) => void;
  faultCodes: string[];
  onSearch: (q: string) => void;
}

export function MapToolbar({ filters, setFilters, faultCodes, onSearch }: Props) {
  const [search, setSearch] = useState("");
  return (
    <form
      className={styles.toolbar}
      role="search"
      onSubmit={(e) => {
        e.preventDefault();
        onSearch(search);
      }}
    >
      <h1>Fleet map</h1>
      <label>
        Find meter or gateway
        <input
          value={search}
          onChange={(e) => setSearch(e.target.value)}
          placeholder="EM-0012345 or GW-0042"
          style={{ width: 170 }}
          data-testid="map-search"
          aria-label="Find meter or gateway"
        />
      </label>
      <button type="submit" data-testid="map-search-go">
        Go
      </button>
      <label>
        Fault code
        <select style={{ width: 120 }} value={filters.fault ?? ""} onChange={(e) => setFilters((f) => ({ ...f, fault: e.target.value || undefined }))} data-testid="filter-fault">
          <option value="">any</option>
          {faultCodes.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
      </label>
      <label>
        Kind
        <select value={filters.kind ?? ""} onChange={(e) => setFilters((f) => ({ ...f, kind: e.target.value || undefined }))} data-testid="filter-kind">
          <option value="">any</option>
          <option value="electric">electric</option>
          <option value="gas">gas</option>
          <option value="water">water</option>
        </select>
      </label>
      <TextFilter label="Gateway" value={filters.gw} testId="filter-gw" placeholder="GW-0042" onCommit={(v) => setFilters((f) => ({ ...f, gw: v }))} />
      <TextFilter
        label="Firmware metr./comms"
        value={filters.fw}
        testId="filter-fw"
        placeholder="1.2.0/3.1.0"
        onCommit={(v) => setFilters((f) => ({ ...f, fw: v && v.includes("/") ? v : v ? `${v}/` : undefined }))}
      />
      <TextFilter label="Climate zone" value={filters.zone} testId="filter-zone" placeholder="zone" onCommit={(v) => setFilters((f) => ({ ...f, zone: v }))} />
      <label>
        Last fault
        <select value={filters.since ?? ""} onChange={(e) => setFilters((f) => ({ ...f, since: e.target.value || undefined }))} data-testid="filter-since">
          <option value="">any time</option>
          <option value="1h">1 hour</option>
          <option value="24h">24 hours</option>
          <option value="7d">7 days</option>
          <option value="30d">30 days</option>
        </select>
      </label>
      {(filters.fault || filters.kind || filters.gw || filters.fw || filters.zone || filters.model || filters.since || filters.states.length > 0) && (
        <button type="button" onClick={() => setFilters(() => ({ states: [] }))} data-testid="filter-clear">
          Clear filters
        </button>
      )}
    </form>
  );
}

function TextFilter({
  label,
  value,
  testId,
  placeholder,
  onCommit,
}: {
  label: string;
  value?: string;
  testId: string;
  placeholder: string;
  onCommit: (v: string | undefined) => void;
}) {
  const [text, setText] = useState(value ?? "");
  useEffect(() => setText(value ?? ""), [value]);
  return (
    <label>
      {label}
      <input
        value={text}
        placeholder={placeholder}
        style={{ width: 110 }}
        data-testid={testId}
        onChange={(e) => setText(e.target.value)}
        onBlur={() => onCommit(text.trim() || undefined)}
        onKeyDown={(e) => {
          if (e.key === "Enter") {
            e.preventDefault();
            onCommit(text.trim() || undefined);
          }
        }}
      />
    </label>
  );
}
