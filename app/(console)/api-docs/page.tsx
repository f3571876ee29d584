import Link from "next/link";
import { requirePagePermission } from "@/lib/auth/session";
import { ApiReference } from "./api-reference";

export const metadata = { title: "API reference" };
export const dynamic = "force-dynamic";

export default async function ApiDocsPage() {
  await requirePagePermission("api.tokens.personal", "/api-docs");
  return (
    <>
      <div className="page-header">
        <h1>API reference</h1>
        <p>
          <code>/api/v1</code>, from{" "}
          <a href="/api/v1/openapi.json" data-testid="openapi-link">
            openapi.json
          </a>
          ; calls need a token from <Link href="/api-tokens">API tokens</Link>.
        </p>
      </div>
      <ApiReference />
    </>
  );
}
