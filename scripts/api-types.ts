// npm run api:types - regenerate lib/api/v1/client/schema.d.ts (openapi-typescript) and
// openapi.json from the /api/v1 zod schemas. --check: exit 1 when either is out of date.
import fs from "node:fs";
import path from "node:path";
import { renderApiClientFiles } from "../lib/api/v1/generate-types";

const dir = path.join(__dirname, "..", "lib", "api", "v1", "client");

async function main() {
  const files = await renderApiClientFiles();
  if (process.argv.includes("--check")) {
    const stale = Object.entries(files).filter(([name, text]) => !fs.existsSync(path.join(dir, name)) || fs.readFileSync(path.join(dir, name), "utf8") !== text);
    if (stale.length) {
      console.error(`api:types: out of date: ${stale.map(([n]) => n).join(", ")}; run npm run api:types`);
      process.exit(1);
    }
    console.log("api:types: up to date");
    return;
  }
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  console.log(`api:types: wrote ${Object.keys(files).join(", ")} in lib/api/v1/client/`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
