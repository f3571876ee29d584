// A thin typed client for /api/v1: paths, parameters, bodies and answers come
// from schema.d.ts (openapi-typescript over the generated OpenAPI document), so
// a script that compiles calls the API as documented. Errors arrive as
// ApiProblemError with the RFC 9457 problem. No server imports: scripts use it.
import type { components, paths } from "./schema";

export type { components, paths } from "./schema";
export type Problem = components["schemas"]["Problem"];

type Verb = "get" | "post";
type PathsWith<V extends Verb> = { [P in keyof paths]: paths[P][V] extends { responses: unknown } ? P : never }[keyof paths];
type Op<P extends keyof paths, V extends Verb> = paths[P][V] extends infer O ? (O extends { responses: unknown } ? O : never) : never;
type Params<O> = O extends { parameters: infer X } ? { [K in keyof X as X[K] extends undefined | never ? never : K]: X[K] } : never;
type JsonBody<O> = O extends { requestBody: { content: { "application/json": infer B } } } ? B : never;
type Ok<O> = O extends { responses: infer R }
  ? R extends { 200: { content: { "application/json": infer T } } }
    ? T
    : R extends { 201: { content: { "application/json": infer T } } }
      ? T
      : unknown
  : unknown;

export interface CallOptions<O> {
  params?: Params<O>;
  /** POSTs: a retry with the same key returns the first answer. */
  idempotencyKey?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export class ApiProblemError extends Error {
  constructor(
    public readonly status: number,
    public readonly problem: Problem | null,
    public readonly response: Response,
  ) {
    super(problem ? `${status} ${problem.code}: ${problem.detail}` : `HTTP ${status}`);
    this.name = "ApiProblemError";
  }
}

export interface ApiClientOptions {
  /** Origin of the console, e.g. http://localhost:3000 (the client adds /api/v1). */
  baseUrl: string;
  token: string;
  fetch?: typeof fetch;
}

export interface ApiResult<T> {
  data: T;
  response: Response;
}

export function createApiClient(opts: ApiClientOptions) {
  const doFetch = opts.fetch ?? fetch;
  const base = opts.baseUrl.replace(/\/+$/, "") + "/api/v1";

  async function call(
    method: "GET" | "POST",
    path: string,
    init: { params?: unknown; body?: unknown; idempotencyKey?: string; headers?: Record<string, string>; signal?: AbortSignal },
  ) {
    const p = (init.params ?? {}) as { path?: Record<string, string | number>; query?: Record<string, string | number | boolean | undefined> };
    const filled = path.replace(/\{(\w+)\}/g, (_, k: string) => encodeURIComponent(String(p.path?.[k] ?? "")));
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(p.query ?? {})) if (v !== undefined) qs.set(k, String(v));
    const url = base + filled + (qs.size ? `?${qs}` : "");
    const headers: Record<string, string> = { authorization: `Bearer ${opts.token}`, accept: "application/json", ...init.headers };
    if (init.idempotencyKey) headers["idempotency-key"] = init.idempotencyKey;
    if (method === "POST") headers["content-type"] = "application/json";
    const response = await doFetch(url, { method, headers, body: method === "POST" ? JSON.stringify(init.body ?? {}) : undefined, signal: init.signal });
    if (!response.ok) {
      const isProblem = (response.headers.get("content-type") ?? "").includes("problem+json");
      throw new ApiProblemError(response.status, isProblem ? ((await response.json()) as Problem) : null, response);
    }
    const isJson = (response.headers.get("content-type") ?? "").includes("application/json");
    return { data: isJson ? await response.json() : undefined, response };
  }

  return {
    GET<P extends PathsWith<"get">>(path: P, init: CallOptions<Op<P, "get">> = {}): Promise<ApiResult<Ok<Op<P, "get">>>> {
      return call("GET", path as string, init);
    },
    POST<P extends PathsWith<"post">>(path: P, init: CallOptions<Op<P, "post">> & { body?: JsonBody<Op<P, "post">> } = {}): Promise<ApiResult<Ok<Op<P, "post">>>> {
      return call("POST", path as string, init);
    },
    /** A streamed answer (GET /logs/export) as the raw Response. */
    async stream<P extends PathsWith<"get">>(path: P, init: CallOptions<Op<P, "get">> = {}): Promise<Response> {
      return (await call("GET", path as string, { ...init, headers: { accept: "*/*", ...init.headers } })).response;
    },
  };
}
export type ApiClient = ReturnType<typeof createApiClient>;
