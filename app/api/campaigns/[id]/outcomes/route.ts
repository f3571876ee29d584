// GET /api/campaigns/:id/outcomes - what the campaign's step lines in ClickHouse say: outcomes per
// time bucket and the latest failed steps (the campaign page refetches it as progress arrives)
import { NextResponse } from "next/server";
import { requirePermission } from "@/lib/auth/session";
import { getCampaignOutcomes } from "@/lib/campaigns/service";
import { campaignIdSchema } from "@/lib/campaigns/schemas";
import { errorResponse, mapError } from "../../../logs/respond";

export const dynamic = "force-dynamic";

export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }) {
  try {
    const user = await requirePermission("campaigns.view");
    const parsed = campaignIdSchema.safeParse({ campaignId: (await params).id });
    if (!parsed.success) return errorResponse({ kind: "invalid", message: "not a campaign id" }, 400);
    const outcomes = await getCampaignOutcomes(parsed.data.campaignId, user);
    if (!outcomes) return errorResponse({ kind: "invalid", message: "No such campaign" }, 404);
    return NextResponse.json(outcomes, { headers: { "cache-control": "no-store" } });
  } catch (err) {
    return mapError(err, request.signal);
  }
}
