import { requirePagePermission } from "@/lib/auth/session";
import { CATALOGUE, findSignature } from "@/lib/faults/catalogue";
import { listChannelOptions } from "@/lib/alerts/service";
import { DEFAULT_RULE_PARAMS } from "@/lib/alerts/rules";
import { RuleForm, type RuleFormValues } from "../rule-form";
import "../../alerts.css";

export const metadata = { title: "New alert rule" };
export const dynamic = "force-dynamic";

/** ?signature=E105[&gw=GW-0042]: "Alert on this" from a fault row pre-fills a fault-signature rule. */
export default async function Page({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  await requirePagePermission("alerts.manage", "/alerts/rules/new");
  const sp = await searchParams;
  const signatureId = typeof sp.signature === "string" ? sp.signature.slice(0, 100) : null;
  const signature = signatureId ? findSignature(CATALOGUE, signatureId) : undefined;
  const channels = await listChannelOptions({ enabledOnly: true });
  const initial: RuleFormValues = signature
    ? {
        name: `${signature.id} ${signature.title} on a gateway`,
        kind: "fault_signature",
        params: { ...DEFAULT_RULE_PARAMS.fault_signature, signatureId: signature.id },
        severity: signature.severity === "critical" ? "critical" : "warning",
        intervalSeconds: 60,
        forSeconds: 0,
        recoverSeconds: 300,
        runbookUrl: signature.runbook ? `/faults/runbooks/${signature.runbook}` : "",
        enabled: true,
        channelIds: channels.map((c) => c.id),
      }
    : {
        name: "",
        kind: "fault_signature",
        params: DEFAULT_RULE_PARAMS.fault_signature,
        severity: "warning",
        intervalSeconds: 60,
        forSeconds: 0,
        recoverSeconds: 300,
        runbookUrl: "",
        enabled: true,
        channelIds: [],
      };
  return (
    <>
      <div className="page-header">
        <h1>New alert rule</h1>
        <p>
          {signature
            ? `Pre-filled from fault ${signature.id}: adjust the threshold, then preview it against the last 7 days.`
            : "What to watch, how to group it, and when to tell people."}
        </p>
      </div>
      <RuleForm initial={initial} channels={channels} />
    </>
  );
}
