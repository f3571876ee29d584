// A small pool of worker threads that parse batches (ingest/parse-worker.ts).
// Under tsx (dev, tests, scripts) the .ts worker is loaded through tsx's CJS
// hook; a bundle needs parse-worker.js next to it (not built today: the server
// runs with parseWorkers = 0 unless scripts/build-server.ts also emits it).
import fs from "node:fs";
import path from "node:path";
import { Worker } from "node:worker_threads";
import type { AuditRecord } from "../lib/audit/record";
import type { ParseJob } from "./parse-worker";

export interface ParseJobResult {
  audit: Uint8Array;
  rejects: Uint8Array;
  accepted: number;
  refused: number;
  skipped: number;
  reasons: Record<string, number>;
  records: AuditRecord[];
}

interface Slot {
  worker: Worker;
  busy: number;
}

function createWorker(): Worker {
  const compiled = path.join(__dirname, "parse-worker.js");
  if (fs.existsSync(compiled)) return new Worker(compiled);
  // Source tree: register tsx's CommonJS hook inside the worker, then load the .ts file.
  const root = process.cwd();
  const api = path.join(root, "node_modules/tsx/dist/cjs/api/index.cjs");
  const file = path.join(root, "ingest/parse-worker.ts");
  return new Worker(`require(${JSON.stringify(api)}).register(); require(${JSON.stringify(file)});`, { eval: true });
}

export class ParsePool {
  private slots: Slot[] = [];
  private nextId = 1;
  private waiting = new Map<number, { resolve: (r: ParseJobResult) => void; reject: (e: Error) => void; slot: Slot }>();

  constructor(size: number) {
    for (let i = 0; i < size; i++) {
      const slot: Slot = { worker: createWorker(), busy: 0 };
      slot.worker.on("message", (m: ParseJobResult & { id: number; error?: string }) => {
        const w = this.waiting.get(m.id);
        if (!w) return;
        this.waiting.delete(m.id);
        // Referenced only while it has work: an idle pool must not keep the process alive.
        if (--w.slot.busy === 0) w.slot.worker.unref();
        if (m.error) w.reject(new Error(m.error));
        else w.resolve(m);
      });
      slot.worker.on("error", (err) => {
        for (const [id, w] of this.waiting) {
          if (w.slot === slot) {
            this.waiting.delete(id);
            w.reject(err);
          }
        }
      });
      slot.worker.unref();
      this.slots.push(slot);
    }
  }

  run(job: Omit<ParseJob, "id">): Promise<ParseJobResult> {
    const slot = this.slots.reduce((a, b) => (b.busy < a.busy ? b : a));
    const id = this.nextId++;
    if (slot.busy++ === 0) slot.worker.ref();
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject, slot });
      slot.worker.postMessage({ ...job, id });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    this.slots = [];
  }
}
