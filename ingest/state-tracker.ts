// Last known LED / open-fault state per meter, to turn committed lines into
// live state changes (LED change, new critical fault, back to normal). Bounded:
// the least recently seen meters are forgotten past `maxMeters` (a forgotten
// meter's next line is compared with nothing, so it reports its LED once).
// Rules follow meter_state (001_audit_log.sql): a fault is sev warn/error/critical,
// a clear is a non-fault line with code HEARTBEAT or led green_steady.
import type { AuditRecord } from "../lib/audit/record";

export interface MeterSnapshot {
  gw: string;
  led: string;
  /** Open fault severity ("" = none) and its code. */
  faultSev: string;
  faultCode: string;
  /** Event time of the latest line applied (ms): older lines do not change state. */
  ts: number;
}

export type StateChangeKind = "led" | "critical_fault" | "normal";

export interface StateChange {
  kind: StateChangeKind;
  meter: string;
  gw: string;
  ts: number;
  led: string;
  prevLed: string;
  code: string;
  sev: string;
}

const FAULT_RANK: Record<string, number> = { warn: 1, error: 2, critical: 3 };

export class MeterStateTracker {
  private readonly states = new Map<string, MeterSnapshot>();
  constructor(private readonly maxMeters = 500_000) {}

  get size(): number {
    return this.states.size;
  }

  get(meter: string): MeterSnapshot | undefined {
    return this.states.get(meter);
  }

  /** Seed from meter_state (start-up), without emitting changes. */
  seed(meter: string, snap: MeterSnapshot): void {
    this.set(meter, snap);
  }

  /** Apply committed records in order; returns the changes they caused. */
  observe(records: readonly AuditRecord[]): StateChange[] {
    const changes: StateChange[] = [];
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      let snap = this.states.get(r.meter);
      if (snap && r.ts < snap.ts) continue; // late line: meter_state keeps the newer state too
      // The snapshot is updated in place (no copy per line: this runs for every committed line).
      const known = snap !== undefined;
      const prevLed = snap?.led ?? "";
      const prevSev = snap?.faultSev ?? "";
      const prevCode = snap?.faultCode ?? "";
      if (snap) {
        snap.ts = r.ts;
        // Map keeps insertion order: delete + set moves the meter to the young end.
        this.states.delete(r.meter);
        this.states.set(r.meter, snap);
      } else {
        snap = { gw: "", led: "", faultSev: "", faultCode: "", ts: r.ts };
        this.set(r.meter, snap);
      }
      if (r.gw) snap.gw = r.gw;
      if (r.led) snap.led = r.led;
      const rank = FAULT_RANK[r.sev] ?? 0;
      if (rank > 0 && rank >= (FAULT_RANK[snap.faultSev] ?? 0)) {
        snap.faultSev = r.sev;
        snap.faultCode = r.code;
      } else if (rank === 0 && (r.code === "HEARTBEAT" || r.led === "green_steady")) {
        snap.faultSev = "";
        snap.faultCode = "";
      }
      const ledChanged = r.led !== "" && r.led !== prevLed;
      const critical = r.sev === "critical" && !(prevSev === "critical" && prevCode === r.code);
      const normal = known && prevSev !== "" && snap.faultSev === "";
      if (!ledChanged && !critical && !normal) continue;
      const base = { meter: r.meter, gw: snap.gw, ts: r.ts, led: snap.led, prevLed, code: r.code, sev: r.sev };
      if (ledChanged) changes.push({ kind: "led", ...base });
      if (critical) changes.push({ kind: "critical_fault", ...base });
      if (normal) changes.push({ kind: "normal", ...base });
    }
    return changes;
  }

  private set(meter: string, snap: MeterSnapshot): void {
    // Map keeps insertion order: delete + set moves the meter to the young end.
    this.states.delete(meter);
    this.states.set(meter, snap);
    if (this.states.size > this.maxMeters) {
      const oldest = this.states.keys().next().value;
      if (oldest !== undefined) this.states.delete(oldest);
    }
  }
}
