// npm run campaign -- <command> --url http://localhost:3000 --token ami_api_… : campaigns from a
// shell or a cron job through the management API (/api/v1) and its typed client.
//   create --name N --job fw_verify [--gw GW-0001] [--kind electric] [--meter EM-0000001 ...] [--start] [--key K]
//   preview --job fw_verify [--gw …]      show the plan without creating anything
//   start|pause|resume|abort|approve ID   steer one campaign
//   status ID                              status and progress
import { parseArgs } from "node:util";
import { ApiProblemError, createApiClient, type components } from "@/lib/api/v1/client";

const USAGE = `usage: npm run campaign -- create|preview|start|pause|resume|abort|approve|status [ID] --url http://localhost:3000 --token ami_api_…
  create/preview: --job JOB [--name NAME] [--gw GW] [--kind electric|gas|water] [--zone Z] [--fault CODE] [--meter ID ...] [--start] [--key IDEMPOTENCY_KEY]`;

type TargetQuery = components["schemas"]["CampaignPreviewRequest"]["targetQuery"];
type JobType = components["schemas"]["CampaignPreviewRequest"]["jobType"];

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      url: { type: "string", default: "http://localhost:3000" },
      token: { type: "string" },
      name: { type: "string" },
      job: { type: "string" },
      gw: { type: "string" },
      kind: { type: "string" },
      zone: { type: "string" },
      fault: { type: "string" },
      meter: { type: "string", multiple: true },
      start: { type: "boolean", default: false },
      key: { type: "string" },
      help: { type: "boolean" },
    },
  });
  const [command, id] = positionals;
  if (values.help || !command) return console.log(USAGE);
  if (!values.token) throw new Error("--token is required: create one on the console's API page");
  const api = createApiClient({ baseUrl: values.url!, token: values.token });
  const targetQuery = { gw: values.gw, kind: values.kind, zone: values.zone, fault: values.fault, meters: values.meter } as TargetQuery;
  const jobType = values.job as JobType;
  const need = (v: string | undefined, what: string) => {
    if (!v) throw new Error(`${what} is required\n${USAGE}`);
    return v;
  };

  switch (command) {
    case "preview": {
      const { data } = await api.POST("/campaigns/preview", { body: { jobType: need(jobType, "--job") as JobType, targetQuery } });
      console.log(`${data.targetDescription}: ${data.targetCount} meters, ${data.waves.length} waves${data.requiresApproval ? ", needs a second approver" : ""}`);
      for (const r of data.exclusionReasons) console.log(`  excluded ${r.meters}: ${r.code} ${r.message}`);
      return;
    }
    case "create": {
      const name = values.name ?? `${jobType} ${new Date().toISOString().slice(0, 16)}`;
      const { data } = await api.POST("/campaigns", { body: { name, jobType: need(jobType, "--job") as JobType, targetQuery }, idempotencyKey: values.key });
      console.log(`created ${data.id} (${data.status}) ${values.url}${data.links.console}`);
      if (!values.start) return;
      const started = await api.POST("/campaigns/{id}/start", { params: { path: { id: data.id } }, idempotencyKey: values.key ? `${values.key}-start` : undefined });
      console.log(`started ${data.id}: ${started.data.campaign.status}, ${started.data.campaign.targetCount} meters`);
      return;
    }
    case "start":
    case "pause":
    case "resume":
    case "abort":
    case "approve": {
      const { data } = await api.POST(`/campaigns/{id}/${command}`, { params: { path: { id: need(id, "the campaign id") } } });
      console.log(`${data.campaign.id}: ${data.campaign.status}`);
      return;
    }
    case "status": {
      const { data } = await api.GET("/campaigns/{id}/progress", { params: { path: { id: need(id, "the campaign id") } } });
      const counts = Object.entries(data.counts)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ");
      console.log(`${data.id}: ${data.status}${data.statusReason ? ` (${data.statusReason})` : ""}; ${counts}`);
      return;
    }
    default:
      throw new Error(`unknown command ${command}\n${USAGE}`);
  }
}

main().catch((err) => {
  console.error(err instanceof ApiProblemError ? `campaign: ${err.message}` : err instanceof Error ? err.message : err);
  process.exit(1);
});
