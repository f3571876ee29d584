"use client";
import Link from "next/link";
import { usePathname } from "next/navigation";

export function NavLinks({ items }: { items: { href: string; label: string }[] }) {
  const pathname = usePathname();
  return (
    <nav className="nav" data-testid="nav">
      {items.map((item) => {
        const active = pathname === item.href || pathname.startsWith(item.href + "/");
        return (
          <Link key={item.href} href={item.href} aria-current={active ? "page" : undefined} data-testid={`nav-${item.label.toLowerCase().replace(/\s+/g, "-")}`}>
            {item.label}
          </Link>
        );
      })}
    </nav>
  );
}
