// Every /api/v1 endpoint, in the order the reference lists them. The route
// handler dispatches over this list and the OpenAPI document is generated from it.
import { compileRoutes } from "./dispatch";
import type { Endpoint } from "./endpoint";
import { alertEndpoints } from "./resources/alerts";
import { analysisEndpoints } from "./resources/analysis";
import { campaignEndpoints } from "./resources/campaigns";
import { fleetEndpoints } from "./resources/fleet";
import { maintenanceEndpoints } from "./resources/maintenance";
import { workOrderEndpoints } from "./resources/work-orders";

export const API_ENDPOINTS: readonly Endpoint[] = [
  ...campaignEndpoints,
  ...workOrderEndpoints,
  ...maintenanceEndpoints,
  ...fleetEndpoints,
  ...analysisEndpoints,
  ...alertEndpoints,
];

// Static paths first, so /campaigns/preview is not read as /campaigns/{id} (nor /alerts/rules as /alerts/{id}).
export const API_ROUTES = compileRoutes([...API_ENDPOINTS].sort((a, b) => Number(a.path.includes("{")) - Number(b.path.includes("{"))));
