// Starts the alert loops in the server process (server.ts): the evaluator and the notifier,
// each supervised (a crash restarts it and shows on /api/health).
import { env } from "@/lib/env";
import { startAlertEvaluator } from "./evaluator";
import { startNotifier } from "./notifier";

export async function startAlerts(): Promise<{ stop(): Promise<void> }> {
  const baseUrl = env.NEXTAUTH_URL ?? `http://localhost:${env.PORT}`;
  const evaluator = startAlertEvaluator({ baseUrl, staleAfterMs: env.STALE_AFTER });
  const notifier = startNotifier();
  return {
    async stop() {
      await evaluator.stop();
      await notifier.stop();
    },
  };
}
