// Serializable shapes the matrix page hands to its client tables.
import type { Severity } from "@/lib/audit/codes";
import type { TrendDirection } from "@/lib/faults/trend";

export interface MatrixViewRow {
  id: string;
  title: string;
  severity: Severity;
  meaning: string;
  checks: string[];
  runbookHref: string;
  events: number | null;
  meters: number | null;
  previousEvents: number | null;
  /** text: formatTrend's words ("new", "+45 %", "×12"). */
  trend: { direction: TrendDirection; percent: number | null; text: string } | null;
  sparkline: number[];
  isJudged: boolean;
  isSelected: boolean;
  selectHref: string;
  explorerHref: string | null;
  /** Only set when the user may manage campaigns and the signature has a remediation step. */
  schedule: { href: string; label: string } | null;
  /** A fault no meter step fixes: where the fix is, and a step that rules a cause out (its link only for schedulers). */
  noStep: { text: string; ruleOut: { href: string | null; label: string; why: string } | null } | null;
  anomalies: string[];
}

export interface RootCauseViewCell {
  value: string;
  affected: number;
  fleet: number;
  shareOfFault: string;
  shareOfFleet: string;
  lift: string;
  hasSupport: boolean;
  explorerHref: string | null;
  mapHref: string | null;
  /** This page narrowed to the cell (its counts, meters list, map and campaign links). */
  narrowHref: string | null;
  /** "behind GW-0042" */
  place: string | null;
  /** "Schedule RF analysis for these 12 meters": the campaign form with this cohort (schedulers only). */
  schedule: { href: string; label: string } | null;
}

export interface RootCauseViewDimension {
  dimension: string;
  label: string;
  association: number;
  cells: RootCauseViewCell[];
  topValue: string | null;
}
