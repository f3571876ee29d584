import Link from "next/link";

export default function NotFound() {
  return (
    <main className="login-wrap" id="main">
      <div className="card login-card">
        <h1>Not found</h1>
        <p className="muted">There is nothing at this address.</p>
        <Link href="/map">Back to the fleet map</Link>
      </div>
    </main>
  );
}
