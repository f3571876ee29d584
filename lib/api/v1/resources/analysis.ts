// /api/v1/faults, /api/v1/logs and /api/v1/ingest/sources: the fault matrix
// and root cause of the faults page (lib/fault-analysis), the log explorer's
// search, histogram and export (same query language and parser, lib/logs), and
// the ingest page's source status (ingest/status).
import { z } from "zod";
import { getIngestStatus } from "@/ingest/status";
import { getLogHistogram, searchLogs } from "@/lib/clickhouse/queries/logs";
import { AppError } from "@/lib/errors";
import { getFaultMatrix, getRootCause, WINDOWS, type FleetSlice, type WindowKey } from "@/lib/troubleshooting/fault-analysis";
import { createLogExportResponse } from "@/lib/logs/export-stream";
import { logApiQuerySchema, parseLogApiRequest } from "@/lib/logs/request";
import { defineEndpoint } from "../endpoint";
import { looseObject, named } from "../schemas";

const sliceQuery = z.object({
  window: z.enum(Object.keys(WINDOWS) as [WindowKey, ...WindowKey[]]).default("24h"),
  gw: z.string().trim().max(64).optional(),
  zone: z.string().trim().max(64).optional(),
  kind: z.string().trim().max(64).optional(),
  model: z.string().trim().max(64).optional(),
  fw: z
    .string()
    .trim()
    .regex(/^[^/]{1,32}\/[^/]{1,32}$/)
    .optional()
    .meta({ description: "<metrology>/<comms>" }),
});

function windowAndSlice(q: z.output<typeof sliceQuery>): { from: number; to: number; slice: FleetSlice } {
  const to = Date.now();
  const [fwMetrology, fwComms] = q.fw ? q.fw.split("/") : [undefined, undefined];
  return { from: to - WINDOWS[q.window], to, slice: { gw: q.gw, zone: q.zone, kind: q.kind, model: q.model, fwMetrology, fwComms } };
}

const matrixSchema = looseObject("FaultMatrix", {
  catalogueVersion: z.string(),
  from: z.number(),
  to: z.number(),
  previousFrom: z.number(),
  stepMs: z.number(),
  rows: z.array(
    z.looseObject({
      id: z.string(),
      title: z.string(),
      severity: z.string(),
      kind: z.string(),
      events: z.number().nullable(),
      meters: z.number().nullable(),
      previousEvents: z.number().nullable(),
      previousMeters: z.number().nullable(),
      sparkline: z.array(z.number()),
      isJudged: z.boolean(),
    }),
  ),
});

const rootCauseSchema = looseObject("FaultRootCause", {
  signature: z.looseObject({ id: z.string(), title: z.string(), kind: z.string() }),
  counts: z.record(z.string(), z.unknown()),
  ranking: z.record(z.string(), z.unknown()),
  sentence: z.string(),
  isJudged: z.boolean(),
});

/** The explorer's request, or a 400 that says where the query is wrong. */
function parseLogs(url: URL) {
  const parsed = parseLogApiRequest(url.searchParams);
  if (!parsed.ok) {
    const e = parsed.error;
    const where = e.kind === "syntax" ? ` (at character ${e.position + 1})` : "";
    throw new AppError("invalid", `${e.message}${where}`, { problem: e.kind === "syntax" ? "query_syntax" : "invalid" });
  }
  return parsed.value;
}

const logQueryDoc = logApiQuerySchema.omit({ format: true, stack: true });
const logRowSchema = named("LogRow", z.looseObject({ ts: z.string(), id: z.string() }).meta({ description: "One audit line: the requested columns (cols), ts and id always." }));

export const analysisEndpoints = [
  defineEndpoint({
    operationId: "getFaultMatrix",
    method: "GET",
    path: "/faults/matrix",
    tag: "Faults",
    summary: "The troubleshooting matrix: events and meters per fault signature, trend, sparkline",
    permission: "faults.view",
    query: sliceQuery,
    response: matrixSchema,
    handler: async ({ query }) => getFaultMatrix(windowAndSlice(query)),
  }),
  defineEndpoint({
    operationId: "getFaultRootCause",
    method: "GET",
    path: "/faults/{code}/root-cause",
    tag: "Faults",
    summary: "Root cause of one fault signature: where its meters concentrate (gateway, zone, model, firmware)",
    permission: "faults.view",
    params: z.object({
      code: z
        .string()
        .regex(/^[A-Za-z][A-Za-z0-9_]{1,63}$/)
        .meta({ description: "Signature id, e.g. E105 or LAST_GASP." }),
    }),
    query: sliceQuery,
    response: rootCauseSchema,
    handler: async ({ params, query }) => getRootCause({ ...windowAndSlice(query), signatureId: params.code }),
  }),
  defineEndpoint({
    operationId: "searchLogs",
    method: "GET",
    path: "/logs/search",
    tag: "Logs",
    summary: "Search audit lines with the log explorer's query language, one keyset page at a time",
    permission: "logs.view",
    query: logQueryDoc,
    response: named("LogPage", z.object({ items: z.array(logRowSchema), next: z.string().nullable() })),
    isPaged: true,
    handler: async ({ url, request }) => {
      const input = parseLogs(url);
      const page = await searchLogs({
        ast: input.ast,
        from: input.from,
        to: input.to,
        order: input.order,
        limit: input.limit,
        cursor: input.cursor,
        columns: input.columns,
        signal: request.signal,
      });
      let next: string | null = null;
      if (page.nextCursor) {
        const u = new URL(url.pathname + url.search, "http://x");
        u.searchParams.set("cursor", `${page.nextCursor.ts}_${page.nextCursor.id}`);
        next = u.pathname + u.search;
      }
      return { items: page.rows, next };
    },
  }),
  defineEndpoint({
    operationId: "getLogHistogram",
    method: "GET",
    path: "/logs/histogram",
    tag: "Logs",
    summary: "Matching lines per time bucket, stacked by severity or code",
    permission: "logs.view",
    query: logApiQuerySchema.pick({ q: true, from: true, to: true, stack: true }),
    response: named(
      "LogHistogram",
      z.object({
        interval: z.object({ label: z.string(), seconds: z.number() }),
        buckets: z.array(z.object({ t: z.number().meta({ description: "Bucket start, epoch ms." }), series: z.string(), n: z.number().int() })),
        total: z.number().int(),
      }),
    ),
    handler: async ({ url, request }) => {
      const input = parseLogs(url);
      return getLogHistogram({ ast: input.ast, from: input.from, to: input.to, stackBy: input.stackBy, targetBuckets: 80, signal: request.signal });
    },
  }),
  defineEndpoint({
    operationId: "exportLogs",
    method: "GET",
    path: "/logs/export",
    tag: "Logs",
    summary: "Every matching line as a streamed CSV or NDJSON download",
    permission: "logs.export",
    query: logApiQuerySchema.omit({ cursor: true, limit: true, stack: true }),
    response: { stream: { "text/csv": "CSV with a header row", "application/x-ndjson": "One JSON object per line" } },
    handler: async ({ url, request, principal }) => createLogExportResponse(parseLogs(url), request.signal, `api-token:${principal.tokenId}`),
  }),
  defineEndpoint({
    operationId: "listIngestSources",
    method: "GET",
    path: "/ingest/sources",
    tag: "Ingest",
    summary: "Ingest sources' status: state, lag, accepted and refused lines, errors",
    permission: "ingest.view",
    response: looseObject("IngestStatus", {
      running: z.boolean(),
      sources: z.array(z.looseObject({ name: z.string(), kind: z.string(), state: z.string(), accepted: z.number(), refused: z.number(), lastError: z.string().nullable() })),
      at: z.number(),
    }),
    hasEtag: false,
    handler: async () => getIngestStatus(),
  }),
];
