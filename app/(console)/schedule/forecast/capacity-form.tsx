"use client";
import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { setCrewCapacityAction } from "../actions";

/** One district's crew: technicians × hours per week (cells of the capacity table). */
export function CapacityForm({ district, technicians, hoursPerWeek }: { district: string; technicians: number; hoursPerWeek: number }) {
  const router = useRouter();
  const [t, setT] = useState(String(technicians));
  const [h, setH] = useState(String(hoursPerWeek));
  const [error, setError] = useState<string | null>(null);
  const [pending, start] = useTransition();
  const save = () =>
    start(async () => {
      const r = await setCrewCapacityAction({ district, technicians: t, hoursPerWeek: h });
      if (!r.ok) setError(r.error);
      else {
        setError(null);
        router.refresh();
      }
    });
  return (
    <>
      <td>
        <input
          type="number"
          min={0}
          max={1000}
          value={t}
          onChange={(e) => setT(e.target.value)}
          style={{ width: 70 }}
          aria-label={`${district} technicians`}
          data-testid="capacity-technicians"
        />
      </td>
      <td>
        <input
          type="number"
          min={0}
          max={80}
          step={0.5}
          value={h}
          onChange={(e) => setH(e.target.value)}
          style={{ width: 70 }}
          aria-label={`${district} hours per week`}
          data-testid="capacity-hours"
        />
      </td>
      <td>{Number(t) * Number(h) || 0}</td>
      <td>
        <button type="button" onClick={save} disabled={pending} data-testid="capacity-save">
          Set
        </button>
        {error && <span className="error-text"> {error}</span>}
      </td>
    </>
  );
}
