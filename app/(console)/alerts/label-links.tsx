import Link from "next/link";

/** An alert's labels; every gateway, meter, code and campaign is a link. */
export function LabelLinks({ labels, campaignId }: { labels: Record<string, string>; campaignId?: string | null }) {
  const parts = Object.entries(labels).map(([k, v]) => {
    const href =
      k === "gateway"
        ? `/map?${new URLSearchParams({ gw: v })}`
        : k === "meter"
          ? `/meters/${encodeURIComponent(v)}`
          : k === "signature" || k === "code"
            ? `/faults?${new URLSearchParams({ signature: v })}`
            : k === "campaign"
              ? `/campaigns/${encodeURIComponent(v)}`
              : null;
    return (
      <span key={k} className="mono" style={{ marginRight: 8, whiteSpace: "nowrap" }}>
        {k}=
        {href ? (
          <Link href={href} data-testid={`label-${k}`}>
            {v}
          </Link>
        ) : (
          v
        )}
      </span>
    );
  });
  return (
    <>
      {parts}
      {campaignId && !labels.campaign ? (
        <span className="mono">
          campaign=<Link href={`/campaigns/${encodeURIComponent(campaignId)}`}>{campaignId}</Link>
        </span>
      ) : null}
    </>
  );
}
