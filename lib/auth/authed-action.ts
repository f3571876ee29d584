// The one shape of a server action (as dub's authActionClient): the session's
// permission is checked first, inside the action, then the input is parsed,
// then the body runs; errors become the action's `{ ok: false, error }` once,
// in runAction. An export of a "use server" file is `authedAction(...)`, so no
// action can be written without its permission check.
import "server-only";
import type { z } from "zod";
import { runAction, type ActionResult } from "@/lib/errors";
import type { Permission } from "./permissions";
import { requirePermission, type SessionUser } from "./session";

export function authedAction<S extends z.ZodType, T>(
  permission: Permission,
  schema: S,
  body: (input: z.output<S>, user: SessionUser) => Promise<T>,
): (input: unknown) => Promise<ActionResult<T>> {
  return async (input: unknown) =>
    runAction(async () => {
      const user = await requirePermission(permission);
      return body(schema.parse(input), user);
    });
}
