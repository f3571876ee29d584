// Live events after a committed batch: meter state changes to `fleet`,
// `gw:<id>` and `meter:<id>` (the hub batches them per 250 ms; the cap keeps a
// bulk load from flooding browsers), accepted lines to the `logs` live tail.
import { feedLiveTail } from "../lib/logs/live-tail";
import { markMetersTouched } from "../lib/clickhouse/meter-state-current";
import { publish } from "../lib/realtime/hub";
import type { AuditRecord } from "../lib/audit/record";
import type { StateChange } from "./state-tracker";
import type { BatchResult, IngestBatch } from "./writer";

const MAX_CHANGES_PER_BATCH = 5_000;

export function publishCommitted(batch: IngestBatch, result: BatchResult, records: readonly AuditRecord[], changes: readonly StateChange[]): void {
  const n = Math.min(changes.length, MAX_CHANGES_PER_BATCH);
  for (let i = 0; i < n; i++) {
    const c = changes[i]!;
    publish("fleet", "meter.state", c);
    if (c.gw) publish(`gw:${c.gw}`, "meter.state", c);
    publish(`meter:${c.meter}`, "meter.state", c);
  }
  // The `logs` room: lib/logs/live-tail.ts filters per subscriber and throttles to reading speed.
  feedLiveTail(records, batch.source);
  // meter_state_current (the map's and meters page's flat state) re-merges these meters shortly.
  markMetersTouched(records.map((r) => r.meter));
  if (result.refused > 0) publish("ingest", "refused", { source: batch.source, refused: result.refused, reasons: result.reasons });
}
