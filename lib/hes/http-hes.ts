// HTTP adapter for a real head-end. The contract a head-end must serve:
//
//   POST {HES_URL}/commands
//     headers: Authorization: Bearer {HES_TOKEN}, Idempotency-Key: {key}, Content-Type: application/json
//     body:    { "meterId": "EM-0012345", "step": "fota", "params": {...}, "job": "cmp_8f2a", "timeoutMs": 30000 }
//     200:     { "status": "ok", "details": {...} }
//            | { "status": "fail", "code": "<audit code>", "message": "...", "refused"?: true }
//            | { "status": "timeout" }
//     A repeated Idempotency-Key must return the first outcome without applying the command again;
//     409 if the key was used for a different meter or step.
//   GET {HES_URL}/commands/{key}            200 outcome as above | 404 unknown key
//   GET {HES_URL}/meters/{id}/neighbours    200 [{ "neighbour": "...", "rssi": -91, "lqi": 120 }]
//   GET {HES_URL}/meters/{id}/firmware      200 { "fwMetrology": "3.4.1", "fwComms": "6.1.0", "sha256": "<64 hex>" }
//
// Status mapping: our AbortSignal timeout, 408 and 504 -> { status: "timeout" }; 400/422 -> AppError invalid;
// 401/403 -> unauthenticated/forbidden; 404 -> not_found; 409 -> conflict; 429, 5xx and network errors ->
// unavailable (retry with the same key). Audit lines reach the console through ingest (file, MQTT or
// POST /api/ingest), not through this adapter, so subscribe() here never fires.
import { z } from "zod";
import { CODE_LIST, type Code } from "@/lib/audit/codes";
import { AppError, type AppErrorCode } from "@/lib/errors";
import type { AuditLineListener, CommandOutcome, FirmwareHash, HesAdapter, HesCommand, NeighbourEntry } from "./adapter";

export interface HttpHesOptions {
  url: string;
  token?: string;
  /** Default per-command wait; the request is aborted a little after it. */
  timeoutMs: number;
  /** Grace beyond the command timeout so the head-end's own timeout answer can arrive first. */
  abortGraceMs?: number;
  fetch?: typeof fetch;
}

const outcomeSchema = z.discriminatedUnion("status", [
  z.object({ status: z.literal("ok"), details: z.record(z.string(), z.unknown()).default({}) }),
  z.object({
    status: z.literal("fail"),
    code: z.enum(CODE_LIST as [Code, ...Code[]]),
    message: z.string().default(""),
    refused: z.boolean().optional(),
  }),
  z.object({ status: z.literal("timeout") }),
]);
const neighboursSchema = z.array(z.object({ neighbour: z.string(), rssi: z.number().min(-130).max(0), lqi: z.number().int().min(0).max(255) }));
const firmwareSchema = z.object({ fwMetrology: z.string(), fwComms: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/i) });

const STATUS_ERRORS: Record<number, AppErrorCode> = {
  400: "invalid",
  401: "unauthenticated",
  403: "forbidden",
  404: "not_found",
  409: "conflict",
  422: "invalid",
  429: "unavailable",
};

export class HttpHes implements HesAdapter {
  private readonly base: string;
  private readonly fetchFn: typeof fetch;

  constructor(private readonly options: HttpHesOptions) {
    this.base = options.url.replace(/\/+$/, "");
    this.fetchFn = options.fetch ?? fetch;
  }

  async sendCommand(command: HesCommand): Promise<CommandOutcome> {
    const timeoutMs = command.timeoutMs ?? this.options.timeoutMs;
    const body = { meterId: command.meterId, step: command.step, params: command.params ?? {}, job: command.job, timeoutMs };
    try {
      const res = await this.request("POST", "/commands", timeoutMs + (this.options.abortGraceMs ?? 2000), body, command.idempotencyKey);
      if (res.status === 408 || res.status === 504) return { status: "timeout" };
      return outcomeSchema.parse(await this.readJson(res));
    } catch (e) {
      if (isAbort(e)) return { status: "timeout" };
      throw e;
    }
  }

  async getOutcome(idempotencyKey: string): Promise<CommandOutcome | null> {
    const res = await this.request("GET", `/commands/${encodeURIComponent(idempotencyKey)}`, this.options.timeoutMs, undefined, undefined, [404]);
    if (res.status === 404) return null;
    return outcomeSchema.parse(await this.readJson(res));
  }

  async getNeighbourTable(meterId: string): Promise<NeighbourEntry[]> {
    const res = await this.request("GET", `/meters/${encodeURIComponent(meterId)}/neighbours`, this.options.timeoutMs);
    return neighboursSchema.parse(await this.readJson(res));
  }

  async getFirmwareHash(meterId: string): Promise<FirmwareHash> {
    const res = await this.request("GET", `/meters/${encodeURIComponent(meterId)}/firmware`, this.options.timeoutMs);
    return firmwareSchema.parse(await this.readJson(res));
  }

  subscribe(_listener: AuditLineListener): () => void {
    return () => {};
  }

  private async request(method: string, path: string, abortAfterMs: number, body?: unknown, idempotencyKey?: string, passStatuses: number[] = []): Promise<Response> {
    const headers: Record<string, string> = { Accept: "application/json" };
    if (this.options.token) headers.Authorization = `Bearer ${this.options.token}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (idempotencyKey) headers["Idempotency-Key"] = idempotencyKey;
    let res: Response;
    try {
      res = await this.fetchFn(this.base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(abortAfterMs),
      });
    } catch (e) {
      if (isAbort(e)) throw e;
      throw new AppError("unavailable", `head-end unreachable: ${(e as Error).message}`);
    }
    if (res.ok || passStatuses.includes(res.status) || res.status === 408 || res.status === 504) return res;
    const text = await res.text().catch(() => "");
    const code = STATUS_ERRORS[res.status] ?? "unavailable";
    throw new AppError(code, `head-end ${method} ${path} answered ${res.status}${text ? ": " + text.slice(0, 200) : ""}`, { status: res.status });
  }

  private async readJson(res: Response): Promise<unknown> {
    try {
      return await res.json();
    } catch {
      throw new AppError("unavailable", `head-end answered ${res.status} with a body that is not JSON`);
    }
  }
}

function isAbort(e: unknown): boolean {
  return e instanceof Error && (e.name === "AbortError" || e.name === "TimeoutError");
}

export function createHttpHes(options: HttpHesOptions): HttpHes {
  return new HttpHes(options);
}
