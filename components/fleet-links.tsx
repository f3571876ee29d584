// Links for the fleet's nouns, the same on every page: a meter opens its page, a gateway the
// meters behind it, a fault code its row and root cause in the matrix. Anything else is text.
import Link from "next/link";
import { CODES } from "@/lib/audit/codes";

export function meterHref(id: string): string {
  return `/meters/${encodeURIComponent(id)}`;
}
export function gatewayHref(id: string): string {
  return `/meters?gw=${encodeURIComponent(id)}`;
}
export function codeHref(code: string): string | null {
  return code in CODES && code !== "STEP_OK" && code !== "HEARTBEAT" ? `/faults?sig=${encodeURIComponent(code)}#root-cause` : null;
}

export function MeterLink({ id, testId }: { id: string; testId?: string }) {
  return id ? (
    <Link href={meterHref(id)} className="nowrap" data-testid={testId ?? "meter-link"}>
      {id}
    </Link>
  ) : null;
}

export function GatewayLink({ id, testId }: { id: string; testId?: string }) {
  return id ? (
    <Link href={gatewayHref(id)} className="nowrap" data-testid={testId ?? "gateway-link"}>
      {id}
    </Link>
  ) : null;
}

export function CodeLink({ code, testId }: { code: string; testId?: string }) {
  const href = codeHref(code);
  return href ? (
    <Link href={href} data-testid={testId ?? "code-link"}>
      {code}
    </Link>
  ) : (
    <>{code}</>
  );
}
