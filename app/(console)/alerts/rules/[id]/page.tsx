import { notFound } from "next/navigation";
import { requirePagePermission } from "@/lib/auth/session";
import { getRule, listChannelOptions } from "@/lib/alerts/service";
import { isAppError } from "@/lib/errors";
import type { RuleKind } from "@/lib/alerts/rules";
import { RuleForm, type RuleFormValues } from "../rule-form";
import "../../alerts.css";

export const metadata = { title: "Alert rule" };
export const dynamic = "force-dynamic";

export default async function Page({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  await requirePagePermission("alerts.manage", `/alerts/rules/${id}`);
  const rule = await getRule(id).catch((err: unknown) => {
    if (isAppError(err) && err.code === "not_found") notFound();
    throw err;
  });
  const channels = await listChannelOptions();
  const initial: RuleFormValues = {
    name: rule.name,
    kind: rule.kind as RuleKind,
    params: rule.params as Record<string, unknown>,
    severity: rule.severity,
    intervalSeconds: rule.intervalSeconds,
    forSeconds: rule.forSeconds,
    recoverSeconds: rule.recoverSeconds,
    runbookUrl: rule.runbookUrl ?? "",
    enabled: rule.enabled,
    channelIds: Array.isArray(rule.channelIds) ? (rule.channelIds as string[]) : [],
  };
  return (
    <>
      <div className="page-header">
        <h1>{rule.name}</h1>
        <p>Changes are recorded in the operator trail with before and after.</p>
      </div>
      <RuleForm initial={initial} ruleId={rule.id} channels={channels} />
    </>
  );
}
