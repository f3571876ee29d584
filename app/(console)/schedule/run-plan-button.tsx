"use client";
import { useState, useTransition } from "react";
import { runPlanNowAction } from "./actions";

export function RunPlanButton({ planId }: { planId: string }) {
  const [pending, start] = useTransition();
  const [message, setMessage] = useState<string | null>(null);
  return (
    <span>
      <button
        type="button"
        data-testid="plan-run-now"
        disabled={pending}
        onClick={() =>
          start(async () => {
            const r = await runPlanNowAction({ planId });
            setMessage(r.ok ? `${r.data.itemsCreated} new, ${r.data.workOrders} work orders${r.data.campaignIds.length ? ", 1 campaign" : ""}` : r.error);
          })
        }
      >
        {pending ? "Running…" : "Run now"}
      </button>
      {message && (
        <span className="muted" data-testid="plan-run-result" style={{ marginLeft: 6 }}>
          {message}
        </span>
      )}
    </span>
  );
}
