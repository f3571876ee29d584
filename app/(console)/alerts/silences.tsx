"use client";
import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { createSilenceAction, expireSilenceAction } from "./actions";

const LABELS = ["gateway", "meter", "signature", "zone", "model", "campaign", "rule", "severity", "measure"];

export function SilenceForm() {
  const router = useRouter();
  const [label, setLabel] = useState("gateway");
  const [value, setValue] = useState("");
  const [hours, setHours] = useState(2);
  const [comment, setComment] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [isPending, startTransition] = useTransition();
  return (
    <form
      className="al-form"
      data-testid="silence-form"
      onSubmit={(e) => {
        e.preventDefault();
        const startsAt = new Date();
        startTransition(async () => {
          const r = await createSilenceAction({ matchers: [{ label, value }], startsAt, endsAt: new Date(startsAt.getTime() + hours * 3_600_000), comment });
          if (r.ok) {
            setValue("");
            setComment("");
            setError(null);
            router.refresh();
          } else setError(r.error);
        });
      }}
    >
      <label>
        Label
        <select value={label} onChange={(e) => setLabel(e.target.value)}>
          {LABELS.map((l) => (
            <option key={l}>{l}</option>
          ))}
        </select>
      </label>
      <label>
        Equals
        <input value={value} onChange={(e) => setValue(e.target.value)} placeholder="GW-0042" data-testid="silence-value" />
      </label>
      <label>
        For (hours)
        <input type="number" min={1} max={720} value={hours} onChange={(e) => setHours(Number(e.target.value))} />
      </label>
      <label>
        Why
        <input value={comment} onChange={(e) => setComment(e.target.value)} placeholder="Antenna replaced, expect resets" data-testid="silence-comment" />
      </label>
      <div className="al-actions">
        <button type="submit" disabled={isPending || !value.trim() || !comment.trim()} data-testid="silence-create">
          Silence
        </button>
        {error && (
          <span className="error-text" role="alert">
            {error}
          </span>
        )}
      </div>
    </form>
  );
}

export function ExpireSilenceButton({ id }: { id: string }) {
  const router = useRouter();
  const [isPending, startTransition] = useTransition();
  return (
    <button
      type="button"
      disabled={isPending}
      onClick={() =>
        startTransition(async () => {
          await expireSilenceAction({ id });
          router.refresh();
        })
      }
    >
      End now
    </button>
  );
}
