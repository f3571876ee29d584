// One /api/v1 endpoint as data: method, path, permission, the zod schemas of its
// parameters, body and answer (the OpenAPI document is generated from them),
// and a handler that calls the same lib/ function as the console's server
// action or page. lib/api/v1/dispatch.ts runs the conventions around it.
import type { z } from "zod";
import type { ApiPrincipal } from "@/lib/auth/api-tokens";
import type { Permission } from "@/lib/auth/permissions";

export type HttpMethod = "GET" | "POST";

export interface EndpointContext<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  principal: ApiPrincipal;
  /** Who lib/ sees: the token owner (personal) or the service token, with the token's role. */
  actor: ApiPrincipal["actor"];
  request: Request;
  url: URL;
  requestId: string;
  /** Set on POSTs that sent Idempotency-Key (the dispatcher already deduplicates by it). */
  idempotencyKey: string | null;
}

/** A streamed answer (log export): documented by content types, returned as a Response. */
export interface StreamResponse {
  stream: Record<string, string>;
}

export interface Endpoint {
  operationId: string;
  method: HttpMethod;
  /** OpenAPI path below /api/v1, e.g. "/campaigns/{id}/start". */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  permission: Permission;
  /** Allowed with a read-only token (GETs, and POSTs that only read: preview, search). Default: GET. */
  isRead: boolean;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  response: z.ZodType | StreamResponse;
  successStatus: 200 | 201;
  /** Weak ETag + If-None-Match on the JSON answer (GETs). */
  hasEtag: boolean;
  /** `{ items, next }` with a cursor. */
  isPaged: boolean;
  /** The console's server actions this endpoint is the twin of (checked by the twin test). */
  twins: string[];
  handler(ctx: EndpointContext<unknown, unknown, unknown>): Promise<unknown>;
}

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface EndpointDefinition<PS, QS, BS> {
  operationId: string;
  method: HttpMethod;
  path: string;
  tag: string;
  summary: string;
  description?: string;
  permission: Permission;
  isRead?: boolean;
  params?: PS;
  query?: QS;
  body?: BS;
  response: z.ZodType | StreamResponse;
  successStatus?: 200 | 201;
  hasEtag?: boolean;
  isPaged?: boolean;
  twins?: string[];
  handler(ctx: EndpointContext<Out<PS>, Out<QS>, Out<BS>>): Promise<unknown>;
}

export function defineEndpoint<PS extends z.ZodObject | undefined = undefined, QS extends z.ZodObject | undefined = undefined, BS extends z.ZodType | undefined = undefined>(
  def: EndpointDefinition<PS, QS, BS>,
): Endpoint {
  return {
    ...def,
    params: def.params as z.ZodObject | undefined,
    query: def.query as z.ZodObject | undefined,
    body: def.body as z.ZodType | undefined,
    isRead: def.isRead ?? def.method === "GET",
    successStatus: def.successStatus ?? 200,
    hasEtag: def.hasEtag ?? (def.method === "GET" && !("stream" in def.response)),
    isPaged: def.isPaged ?? false,
    twins: def.twins ?? [],
    handler: def.handler as Endpoint["handler"],
  };
}

export function isStreamResponse(r: Endpoint["response"]): r is StreamResponse {
  return typeof r === "object" && r !== null && "stream" in r;
}
