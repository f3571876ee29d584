// GET /api/v1/openapi.json - the OpenAPI 3.1 document of /api/v1 (public: it holds no data)
import { getOpenApiDocument } from "@/lib/api/v1/openapi";

export const dynamic = "force-dynamic";

export function GET() {
  return Response.json(getOpenApiDocument(), { headers: { "cache-control": "public, max-age=300" } });
}
