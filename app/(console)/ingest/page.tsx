import Link from "next/link";
import { requirePagePermission } from "@/lib/auth/session";
import { can } from "@/lib/auth/permissions";
import { getRefusalCounts, listRefusedLines, type RefusalCount, type RefusedLine } from "@/lib/clickhouse/queries/ingest";
import { listIngestTokens } from "@/lib/auth/ingest-tokens";
import { getIngestStatus } from "@/ingest/status";
import { IngestSources } from "./ingest-sources";
import { RefusedLinesTable } from "./refused-lines-table";
import { TokensAdmin } from "./tokens-admin";
import { ingestSearchParamsSchema } from "./search-params";

export const metadata = { title: "Ingest" };
export const dynamic = "force-dynamic";

export default async function IngestPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const user = await requirePagePermission("ingest.view", "/ingest");
  const { reason, hours } = ingestSearchParamsSchema.parse(await searchParams);
  const since = Date.now() - hours * 3_600_000;
  const canManage = can(user.role, "ingest.manage_tokens");
  let counts: RefusalCount[] = [];
  let refused: RefusedLine[] = [];
  let chError: string | null = null;
  try {
    [counts, refused] = await Promise.all([getRefusalCounts({ since }), listRefusedLines({ since, reason, limit: 200 })]);
  } catch (err) {
    console.error("[ingest page] refusal queries failed", err);
    chError = "The analytics store did not answer; refusals cannot be shown right now.";
  }
  const tokens = canManage ? await listIngestTokens() : [];
  const totalRefused = counts.reduce((a, c) => a + c.n, 0);
  return (
    <>
      <div className="page-header">
        <h1>Ingest</h1>
        <p>Sources, rates and refused lines.</p>
      </div>
      <IngestSources initial={getIngestStatus()} />

      <h2>Refused lines</h2>
      {chError && (
        <div className="notice error" role="alert">
          {chError}
        </div>
      )}
      <div className="row" style={{ marginBottom: 8 }} data-testid="refusal-counts">
        <span className="muted">
          Last {hours} h: {totalRefused.toLocaleString("en")} refused
        </span>
        {reason && (
          <Link href={`/ingest?hours=${hours}`} className="badge">
            all reasons
          </Link>
        )}
        {counts.map((c) => (
          <Link
            key={c.reason}
            href={`/ingest?hours=${hours}&reason=${encodeURIComponent(c.reason)}`}
            className="badge"
            data-testid={`refusal-count-${c.reason}`}
            aria-current={c.reason === reason ? "true" : undefined}
          >
            {c.reason} <span data-testid={`refusal-count-value-${c.reason}`}>{c.n}</span>
          </Link>
        ))}
      </div>
      <RefusedLinesTable rows={refused} />

      {canManage && (
        <>
          <h2>HTTP ingest tokens</h2>
          <TokensAdmin
            tokens={tokens.map((t) => ({
              id: t.id,
              name: t.name,
              scope: t.scope,
              prefix: t.prefix,
              createdBy: t.createdBy,
              createdAt: t.createdAt.toISOString(),
              revokedAt: t.revokedAt?.toISOString() ?? null,
              lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
            }))}
          />
        </>
      )}
    </>
  );
}
