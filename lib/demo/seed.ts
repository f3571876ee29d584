// Demo data for `npm run demo`: one user per role (passwords generated, printed
// once, and kept in data/demo-credentials.json, which never leaves data/) and a
// demo fleet with a steady stream of events.
import fs from "node:fs";
import path from "node:path";
import { dataPaths } from "@/lib/env";
import { ROLES, type Role } from "@/lib/auth/permissions";
import { generatePassword } from "@/lib/auth/passwords";
import { createUser, findUserByEmail } from "@/lib/users";

export interface DemoCredential {
  email: string;
  password: string;
  role: Role;
}

export function demoCredentialsPath(): string {
  return path.join(dataPaths().root, "demo-credentials.json");
}

export async function seedDemoUsers(log: (m: string) => void): Promise<DemoCredential[]> {
  const created: DemoCredential[] = [];
  for (const role of ROLES) {
    const email = `${role}@demo.ami`;
    if (await findUserByEmail(email)) continue;
    const password = generatePassword();
    await createUser({ email, name: `Demo ${role}`, role, password }, null);
    created.push({ email, password, role });
  }
  const file = demoCredentialsPath();
  if (created.length) {
    const previous: DemoCredential[] = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : [];
    const merged = [...previous.filter((p) => !created.some((c) => c.email === p.email)), ...created];
    fs.writeFileSync(file, JSON.stringify(merged, null, 2) + "\n", { mode: 0o600 });
    log("\n  Demo sign-ins (shown once; also kept in " + path.relative(process.cwd(), file) + "):");
    for (const c of created) log(`    ${c.role.padEnd(11)} ${c.email.padEnd(22)} ${c.password}`);
    log("");
  } else {
    log(`[demo] demo users exist; their passwords are in ${path.relative(process.cwd(), file)}`);
  }
  return created;
}

export async function seedDemo({ log }: { log: (m: string) => void }) {
  await seedDemoUsers(log);
}
