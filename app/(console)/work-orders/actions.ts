"use server";
import { revalidatePath } from "next/cache";
import { authedAction } from "@/lib/auth/authed-action";
import { completeWorkOrder, completeWorkOrderSchema } from "@/lib/campaigns/work-orders";

export const completeWorkOrderAction = authedAction("workorders.complete", completeWorkOrderSchema, async (data, user) => {
  const result = await completeWorkOrder(data, user);
  revalidatePath("/work-orders");
  return result;
});
