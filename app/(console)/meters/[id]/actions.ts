"use server";
import { revalidatePath } from "next/cache";
import { authedAction } from "@/lib/auth/authed-action";
import { getClientIp } from "@/lib/auth/session";
import { updateMeterConstants, updateMeterConstantsSchema } from "@/lib/fleet/constants";

export const updateMeterConstantsAction = authedAction("meters.edit_constants", updateMeterConstantsSchema, async (data, user) => {
  const change = await updateMeterConstants(data, { id: user.id, email: user.email, role: user.role }, { ip: await getClientIp() });
  revalidatePath(`/meters/${data.meterId}`);
  return { changeId: change.id };
});
