"use server";
import { revalidatePath } from "next/cache";
import { getClientIp, requirePermission } from "@/lib/auth/session";
import { runAction } from "@/lib/errors";
import { updateMeterConstants, updateMeterConstantsSchema } from "@/lib/fleet/constants";

export async function updateMeterConstantsAction(input: unknown) {
  return runAction(async () => {
    const user = await requirePermission("meters.edit_constants");
    const data = updateMeterConstantsSchema.parse(input);
    const change = await updateMeterConstants(data, { id: user.id, email: user.email, role: user.role }, { ip: await getClientIp() });
    revalidatePath(`/meters/${data.meterId}`);
    return { changeId: change.id };
  });
}
