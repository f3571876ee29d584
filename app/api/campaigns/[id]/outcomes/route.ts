// GET /api/campaigns/:id/outcomes - what the campaign's step lines in ClickHouse say: outcomes per
// time bucket and the latest failed steps (the campaign page refetches it as progress arrives)
import { NextResponse } from "next/server";
import { requirePermission } from "@/lib/auth/session";
import { getCampaignOutcomes } from "@/lib/campaigns/service";
import { campaignIdSchema } from "@/lib/campaigns/schemas";
import { AppError } from "@/lib/errors";
import { errorResponse } from "@/lib/http/errors";

export const dynamic = "force-dynamic";

export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }) {
  try {
    const user = await requirePermission("campaigns.view");
    const parsed = campaignIdSchema.safeParse({ campaignId: (await params).id });
    if (!parsed.success) throw new AppError("invalid", "not a campaign id");
    const outcomes = await getCampaignOutcomes(parsed.data.campaignId, user);
    if (!outcomes) throw new AppError("not_found", "No such campaign");
    return NextResponse.json(outcomes, { headers: { "cache-control": "no-store" } });
  } catch (err) {
    return errorResponse(err, { signal: request.signal, tag: "campaigns api", body: "kind" });
  }
}
