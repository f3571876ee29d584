// npm run user:create -- --email ops@example.com --role admin [--name "Ops Lead"]
// Creates a user on a fresh production install; prints the generated password once.
// Opens the engines itself, so it refuses while the server holds data/.
import { parseArgs } from "node:util";
import { DataDirLockedError } from "@/lib/server/data-lock";
import { isAppError } from "@/lib/errors";
import { ROLES } from "@/lib/auth/permissions";

async function main() {
  const { values } = parseArgs({ options: { email: { type: "string" }, role: { type: "string" }, name: { type: "string" } } });
  if (!values.email || !values.role || !(ROLES as readonly string[]).includes(values.role)) {
    console.error(`usage: npm run user:create -- --email EMAIL --role ${ROLES.join("|")} [--name NAME]`);
    process.exit(2);
  }
  const { startEngines, stopEngines } = await import("@/lib/server/boot");
  const { createUser } = await import("@/lib/auth/users");
  try {
    await startEngines(() => {});
    const r = await createUser({ email: values.email, name: values.name ?? values.email, role: values.role as (typeof ROLES)[number] }, { id: null, email: "cli:user:create" });
    console.log(`created ${r.user.email} (${r.user.role})`);
    if (r.generatedPassword) console.log(`password (shown once): ${r.generatedPassword}`);
  } catch (err) {
    if (err instanceof DataDirLockedError || isAppError(err)) {
      console.error(err.message);
      process.exitCode = 1;
    } else throw err;
  } finally {
    await stopEngines();
  }
}
main().catch((err) => {
  console.error(err);
  process.exit(1);
});
