import Link from "next/link";
import { notFound } from "next/navigation";
import { requirePagePermission } from "@/lib/auth/session";
import { RUNBOOKS } from "@/lib/faults/runbooks";
import { CATALOGUE, findSignature } from "@/lib/faults/catalogue";

export const metadata = { title: "Runbook" };

export default async function Page({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  await requirePagePermission("faults.view", `/faults/runbooks/${slug}`);
  const runbook = RUNBOOKS.find((r) => r.slug === slug);
  if (!runbook) notFound();
  return (
    <article data-testid="runbook" style={{ maxWidth: 820 }}>
      <p>
        <Link href="/faults">← Troubleshooting matrix</Link>
      </p>
      <h1>{runbook.title}</h1>
      <p className="muted">
        For:{" "}
        {runbook.appliesTo.map((id) => (
          <span key={id} className="badge" style={{ marginRight: 4 }}>
            {findSignature(CATALOGUE, id)?.title ?? id}
          </span>
        ))}
      </p>
      <p>{runbook.summary}</p>
      <h2>Steps</h2>
      <ol data-testid="runbook-steps">
        {runbook.steps.map((s, i) => (
          <li key={i}>{s}</li>
        ))}
      </ol>
      <h2>How to tell it worked</h2>
      <ul>
        {runbook.verification.map((s, i) => (
          <li key={i}>{s}</li>
        ))}
      </ul>
      <h2>Escalation</h2>
      <p>{runbook.escalation}</p>
      {runbook.related.length > 0 && (
        <>
          <h2>Related</h2>
          <ul>
            {runbook.related.map((r) => {
              const other = RUNBOOKS.find((x) => x.slug === r);
              return <li key={r}>{other ? <Link href={`/faults/runbooks/${r}`}>{other.title}</Link> : r}</li>;
            })}
          </ul>
        </>
      )}
    </article>
  );
}
