// /api/v1/work-orders: lib/campaigns/work-orders (the work-order page and its action).
import { z } from "zod";
import { completeWorkOrder, completeWorkOrderSchema, getWorkOrder, listWorkOrders } from "@/lib/campaigns/work-orders";
import { AppError } from "@/lib/errors";
import { METER_ID_RE } from "@/lib/fleet/ids";
import { defineEndpoint } from "../endpoint";
import { cursorQuery, decodeCursor, nextLink, pageOf } from "../paging";
import { isoDate, named, nullableIso } from "../schemas";

const workOrderSchema = named(
  "WorkOrder",
  z.object({
    id: z.string(),
    meterId: z.string(),
    jobType: z.string(),
    status: z.enum(["open", "done", "cancelled"]),
    campaignId: z.string().nullable(),
    campaignName: z.string().nullable(),
    /** The fault the campaign step found on the meter (what the visit is for), if any. */
    code: z.string().nullable(),
    /** The campaign the order comes from: its own, or up its follow-up chain. */
    originCampaign: z.object({ id: z.string(), name: z.string() }).nullable(),
    reason: z.string().nullable(),
    readings: z.record(z.string(), z.unknown()).nullable(),
    outcome: z.string().nullable().meta({ description: "fixed, not_fixed, follow_up or no_access once completed (done/cancelled for older orders)." }),
    notes: z.string().nullable(),
    completedByEmail: z.string().nullable(),
    followUpOfId: z.string().nullable().meta({ description: "The order this one follows up." }),
    followUps: z
      .array(z.object({ id: z.string(), status: z.string() }))
      .optional()
      .meta({ description: "Orders that follow this one up (single-order answers only)." }),
    createdAt: isoDate,
    completedAt: nullableIso,
  }),
);

const idParams = z.object({ id: z.string().min(8).max(40).meta({ description: "Work order id." }) });

export const workOrderEndpoints = [
  defineEndpoint({
    operationId: "listWorkOrders",
    method: "GET",
    path: "/work-orders",
    tag: "Work orders",
    summary: "List work orders (open first, oldest first)",
    permission: "workorders.view",
    query: z.object({
      status: z.enum(["open", "done", "cancelled"]).optional(),
      campaignId: z.string().max(40).optional(),
      meterId: z.string().regex(METER_ID_RE).optional(),
      limit: z.coerce.number().int().min(1).max(500).default(100),
      cursor: cursorQuery,
    }),
    response: named("WorkOrderPage", pageOf(workOrderSchema)),
    isPaged: true,
    handler: async ({ query, actor, url }) => {
      const after = decodeCursor(query.cursor, z.object({ after: z.string().max(40) }));
      const rows = await listWorkOrders(actor, { status: query.status, campaignId: query.campaignId, meterId: query.meterId, limit: query.limit + 1, after: after?.after });
      const items = rows.slice(0, query.limit);
      return { items, next: rows.length > query.limit ? nextLink(url, { after: items.at(-1)!.id }) : null };
    },
  }),
  defineEndpoint({
    operationId: "getWorkOrder",
    method: "GET",
    path: "/work-orders/{id}",
    tag: "Work orders",
    summary: "One work order",
    permission: "workorders.view",
    params: idParams,
    response: workOrderSchema,
    handler: async ({ params, actor }) => {
      const w = await getWorkOrder(actor, params.id);
      if (!w) throw new AppError("not_found", `No work order ${params.id}.`);
      return w;
    },
  }),
  defineEndpoint({
    operationId: "completeWorkOrder",
    method: "POST",
    path: "/work-orders/{id}/complete",
    tag: "Work orders",
    summary: "Complete (or cancel) a work order: the outcome, the readings its job and finding need, notes",
    permission: "workorders.complete",
    params: idParams,
    body: named("WorkOrderCompleteRequest", completeWorkOrderSchema.omit({ workOrderId: true })),
    response: named("WorkOrderCompleteResult", z.object({ workOrder: workOrderSchema, withinEnvelope: z.boolean().nullable(), followUpId: z.string().nullable() })),
    twins: ["completeWorkOrderAction"],
    handler: async ({ params, body, actor }) => {
      const r = await completeWorkOrder({ ...body, workOrderId: params.id }, actor);
      const w = await getWorkOrder(actor, params.id);
      if (!w) throw new AppError("not_found", `No work order ${params.id}.`);
      return { workOrder: w, withinEnvelope: r.withinEnvelope, followUpId: r.followUpId };
    },
  }),
];
