// /api/v1 in tests: a fetch that hands the request to the same dispatcher the
// route handler uses (no HTTP server), the typed client over it, and an ajv
// validator of answers against the generated OpenAPI document.
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { API_BASE, dispatchApiRequest } from "@/lib/api/v1/dispatch";
import { getOpenApiDocument } from "@/lib/api/v1/openapi";
import { API_ROUTES } from "@/lib/api/v1/registry";
import { createApiClient } from "@/lib/api/v1/client";

export const TEST_ORIGIN = "http://api.test";

export const inProcessFetch: typeof fetch = async (input, init) => {
  const request = new Request(input, init);
  const url = new URL(request.url);
  if (!url.pathname.startsWith(API_BASE + "/")) throw new Error(`not an API path: ${url.pathname}`);
  return dispatchApiRequest(request, API_ROUTES, url.pathname.slice(API_BASE.length));
};

export function testApiClient(token: string, fetchImpl: typeof fetch = inProcessFetch) {
  return createApiClient({ baseUrl: TEST_ORIGIN, token, fetch: fetchImpl });
}

/** Validates an answer against the document: the operation's schema for that status and content type. */
export function createContractValidator() {
  const doc = getOpenApiDocument() as unknown as {
    paths: Record<string, Record<string, { operationId: string; responses: Record<string, { content?: Record<string, unknown> }> }>>;
  };
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(doc as object, "openapi.json");
  const byOperation = new Map<string, { path: string; method: string }>();
  for (const [path, item] of Object.entries(doc.paths)) for (const [method, op] of Object.entries(item)) byOperation.set(op.operationId, { path, method });
  const seen = new Set<string>();
  return {
    seen,
    /** Throws with ajv's errors unless `body` fits; returns the operation's id. */
    check(operationId: string, status: number, contentType: string, body: unknown): void {
      const where = byOperation.get(operationId);
      if (!where) throw new Error(`no operation ${operationId} in the document`);
      const responses = doc.paths[where.path]![where.method]!.responses;
      const response = responses[String(status)];
      if (!response) throw new Error(`${operationId}: status ${status} is not documented (documented: ${Object.keys(responses).join(", ")})`);
      if (status === 304) return;
      const type = contentType.split(";")[0]!.trim();
      if (!response.content?.[type]) throw new Error(`${operationId} ${status}: content type ${type} is not documented`);
      const pointer = ["paths", where.path, where.method, "responses", String(status), "content", type, "schema"]
        .map((s) => s.replaceAll("~", "~0").replaceAll("/", "~1"))
        .join("/");
      const validate = ajv.getSchema(`openapi.json#/${pointer}`);
      if (!validate) throw new Error(`no schema at ${pointer}`);
      if (!validate(body)) throw new Error(`${operationId} ${status}: answer does not fit the document: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 500)}`);
      seen.add(`${operationId} ${status}`);
    },
  };
}
