"use client";
import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { assignRouteAction } from "../actions";

export function AssignRoute({ workOrderIds, technicians }: { workOrderIds: string[]; technicians: { id: string; email: string }[] }) {
  const router = useRouter();
  const [tech, setTech] = useState(technicians[0]?.id ?? "");
  const [error, setError] = useState<string | null>(null);
  const [pending, start] = useTransition();
  if (!technicians.length) return <p className="muted">No active technician to assign.</p>;
  return (
    <div className="row" style={{ gap: 6 }}>
      <select value={tech} onChange={(e) => setTech(e.target.value)} aria-label="Technician" data-testid="route-technician">
        {technicians.map((t) => (
          <option key={t.id} value={t.id}>
            {t.email}
          </option>
        ))}
      </select>
      <button
        type="button"
        disabled={pending}
        data-testid="route-assign"
        onClick={() =>
          start(async () => {
            const r = await assignRouteAction({ workOrderIds, technicianId: tech });
            if (!r.ok) setError(r.error);
            else {
              setError(null);
              router.refresh();
            }
          })
        }
      >
        Assign route
      </button>
      {error && <span className="error-text">{error}</span>}
    </div>
  );
}
