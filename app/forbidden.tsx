import Link from "next/link";

export default function Forbidden() {
  return (
    <main className="login-wrap" id="main">
      <div className="card login-card" data-testid="forbidden">
        <h1>403 — not for your role</h1>
        <p className="muted">Your account is signed in, but its role does not allow this page. Ask an admin if you need access.</p>
        <Link href="/map">Back to the fleet map</Link>
      </div>
    </main>
  );
}
