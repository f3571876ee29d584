// GET|POST /api/v1/* - the management API (bearer API tokens): lib/api/v1/dispatch runs the conventions, the endpoint calls lib/
import { dispatchApiRequest } from "@/lib/api/v1/dispatch";
import { API_ROUTES } from "@/lib/api/v1/registry";

export const dynamic = "force-dynamic";

async function handle(request: Request, { params }: { params: Promise<{ path: string[] }> }) {
  const { path } = await params;
  return dispatchApiRequest(request, API_ROUTES, "/" + path.map(encodeURIComponent).join("/"));
}

export const GET = handle;
export const POST = handle;
