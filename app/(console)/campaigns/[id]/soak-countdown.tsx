"use client";
import { useEffect, useState } from "react";
import { formatUtc } from "@/lib/format/time";
import { soakCountdownText } from "@/lib/campaigns/gate-text";

/** "Soak: 4 min 12 s left, …; then wave 2", ticking every second (the clock starts after hydration: server and browser times differ). */
export function SoakCountdown({ soakEndsAt, nextWave }: { soakEndsAt: string; nextWave: number | null }) {
  const [now, setNow] = useState<number | null>(null);
  useEffect(() => {
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return (
    <span data-testid="soak-countdown">{now === null ? `Soak until ${formatUtc(soakEndsAt, { seconds: true, zone: true })}` : soakCountdownText(soakEndsAt, now, nextWave)}</span>
  );
}
