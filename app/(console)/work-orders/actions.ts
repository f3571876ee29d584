"use server";
import { revalidatePath } from "next/cache";
import { requirePermission } from "@/lib/auth/session";
import { runAction } from "@/lib/errors";
import { completeWorkOrder, completeWorkOrderSchema } from "@/lib/campaigns/work-orders";

export async function completeWorkOrderAction(input: unknown) {
  return runAction(async () => {
    const user = await requirePermission("workorders.complete");
    const data = completeWorkOrderSchema.parse(input);
    const result = await completeWorkOrder(data, user);
    revalidatePath("/work-orders");
    return result;
  });
}
