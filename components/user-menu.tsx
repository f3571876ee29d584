"use client";
import { signOut } from "next-auth/react";
import { useEffect, useState } from "react";

export function UserMenu({ name, email, role, roleHint }: { name: string; email: string; role: string; roleHint: string }) {
  const [theme, setTheme] = useState<"dark" | "light">("dark");
  const [isReady, setIsReady] = useState(false);
  useEffect(() => {
    setTheme(document.documentElement.dataset.theme === "light" ? "light" : "dark");
    setIsReady(true); // hydrated: the buttons below now act (tests wait for this)
  }, []);
  function toggleTheme() {
    const next = theme === "dark" ? "light" : "dark";
    document.documentElement.dataset.theme = next;
    document.cookie = `theme=${next}; path=/; max-age=31536000; samesite=lax`;
    setTheme(next);
  }
  return (
    <div className="row" style={{ flexDirection: "column", alignItems: "stretch" }} data-testid="user-menu" data-ready={isReady ? "true" : "false"}>
      <div>
        <div style={{ fontWeight: 600 }}>{name}</div>
        <div className="muted" style={{ fontSize: 12, overflowWrap: "anywhere" }}>
          {email}
        </div>
        <span className={`badge role-${role}`} title={roleHint} data-testid="role-badge">
          {role}
        </span>
      </div>
      <button type="button" onClick={toggleTheme} aria-label={`Switch to ${theme === "dark" ? "light" : "dark"} theme`}>
        {theme === "dark" ? "Light theme" : "Dark theme"}
      </button>
      <button type="button" onClick={() => signOut({ callbackUrl: "/login" })} data-testid="sign-out">
        Sign out
      </button>
    </div>
  );
}
