// What the dispatcher's parts share: its options, the worker's identity and clock, the database,
// the step-line queue and the LAST_GASP cache, and the shapes they pass around.
import os from "node:os";
import type { AuditLogRow } from "@/lib/clickhouse/audit-rows";
import type { Prisma, PrismaClient } from "@/lib/db";
import type { WaveRow } from "@/lib/db/campaign-targets";
import type { HesAdapter } from "@/lib/hes/adapter";
import type { GateDecision } from "@/lib/scheduling/gates";
import type { getJobTypeSpec, JobType } from "@/lib/scheduling/job-types";
import type { createBatchQueue } from "../batch-queue";
import type { CampaignOptions } from "../schemas";
import type { GaspCache } from "./gasp-cache";

export interface DispatcherOptions {
  hes: HesAdapter;
  /** Worker identity written into leases. */
  owner?: string;
  now?: () => Date;
  /** How long a lease holds; past it another worker may take the target. */
  leaseMs?: number;
  commandTimeoutMs?: number;
  /** Targets leased per statement, across the running waves of all campaigns (a wave never exceeds 100). */
  batchSize?: number;
  /** Write step lines to ClickHouse audit_log (and refresh meter_state_current). */
  writeAuditLines?: boolean;
  /** Publish progress snapshots to socket.io rooms. */
  publish?: boolean;
  /** Called after a command's outcome is stored (tests count sends). */
  onRecorded?: (r: { meterId: string; key: string; state: string }) => void;
  /** Milliseconds spent per phase are added here (the benchmark prints where a tick's time goes). */
  timings?: Record<string, number>;
}

export interface TickResult {
  commands: number;
  /** Results dropped because the lease had moved on (fence mismatch). */
  staleResults: number;
  runningCampaigns: number;
  /** Earliest time something becomes due (schedule, soak end, retry, lease expiry). */
  nextWakeAt: Date | null;
  decisions: { campaignId: string; wave: number; decision: GateDecision }[];
}

export type CampaignRow = { id: string; jobType: string; options: Prisma.JsonValue };

/** A running campaign with its first unfinished wave. */
export interface Active {
  c: CampaignRow;
  jobType: JobType;
  spec: ReturnType<typeof getJobTypeSpec>;
  options: CampaignOptions;
  fotaParams: { metrology: string; comms: string } | undefined;
  wave: WaveRow;
}

export interface DispatchContext {
  db: PrismaClient;
  isPglite: boolean;
  /** Worker identity written into leases. */
  owner: string;
  now: () => Date;
  opts: DispatcherOptions;
  commandTimeoutMs: number;
  leaseMs: number;
  batchSize: number;
  writeAuditLines: boolean;
  timings: Record<string, number> | undefined;
  /** Adds the time `body` takes to timings[phase] (when timings are kept). */
  timed<T>(phase: string, body: () => Promise<T>): Promise<T>;
  /** Step lines: few large ClickHouse inserts behind the sends. */
  audit: ReturnType<typeof createBatchQueue<AuditLogRow>>;
  gasp: GaspCache;
  /** The dispatcher clock at the start of the current tick (LAST_GASP reads are keyed on it). */
  tickAt: number;
}

export const HOST = os.hostname();

export function minDate(a: Date | null, b: Date | null | undefined): Date | null {
  if (!b) return a;
  if (!a) return b;
  return a < b ? a : b;
}
