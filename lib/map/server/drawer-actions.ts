// Drawer actions by role: operators schedule an RF analysis, technicians open the meter, viewers get none.
import { can, type Role } from "@/lib/auth/permissions";
import { scheduleLabel } from "@/lib/scheduling/job-types";

export interface MeterAction {
  label: string;
  href: string;
  testId: string;
}

export function actionsFor(role: Role, meter: string): MeterAction[] {
  const actions: MeterAction[] = [];
  if (can(role, "campaigns.manage")) {
    actions.push({ label: scheduleLabel("rf_analysis"), href: `/campaigns/new?jobType=rf_analysis&meter=${encodeURIComponent(meter)}`, testId: "action-schedule-diagnostics" });
  }
  if (can(role, "workorders.complete")) {
    actions.push({ label: "Open meter", href: `/meters/${encodeURIComponent(meter)}`, testId: "action-open-meter" });
  }
  return actions;
}
