"use client";
import { usePathname } from "next/navigation";
import { useEffect, useRef } from "react";
import { ThemeToggle } from "./theme-toggle";
import { SearchBox } from "./search-box";
import { ScanProgress } from "./scan-control";
import { useMe } from "./use-me";

export const NAV = [
  { href: "/", label: "Overview" },
  { href: "/graph", label: "Graph" },
  { href: "/findings", label: "Findings" },
  { href: "/migration", label: "Migration" },
  { href: "/trends", label: "Trends" },
  { href: "/changes", label: "Changes" },
  { href: "/shared", label: "Shared" },
  { href: "/matrix", label: "Matrix" },
  { href: "/coverage", label: "Coverage" },
];

export const INVENTORY = [
  { href: "/gsas", label: "Google service accounts" },
  { href: "/keys", label: "Keys" },
  { href: "/secrets", label: "Secrets with keys" },
  { href: "/clusters", label: "Clusters and node pools" },
  { href: "/ksas", label: "Kubernetes service accounts" },
  { href: "/workloads", label: "Workloads" },
  { href: "/bindings", label: "Bindings" },
  { href: "/scans", label: "Scans" },
];

const linkCls = (active: boolean) =>
  `rounded px-2 py-1 text-sm hover:no-underline ${active ? "bg-slate-900 text-white dark:bg-slate-100 dark:text-slate-900" : "text-slate-700 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800"}`;

export function Nav() {
  const pathname = usePathname();
  const menu = useRef<HTMLDetailsElement>(null);
  useEffect(() => {
    if (menu.current) menu.current.open = false;
  }, [pathname]);
  // A <details> menu stays open until its summary is clicked again: close it on Esc (focus back on
  // its summary) and on a click anywhere outside it, as menus do.
  useEffect(() => {
    const onPointer = (e: PointerEvent) => {
      const m = menu.current;
      if (m?.open && !m.contains(e.target as Node)) m.open = false;
    };
    const onKey = (e: KeyboardEvent) => {
      const m = menu.current;
      if (e.key !== "Escape" || !m?.open) return;
      m.open = false;
      m.querySelector("summary")?.focus();
    };
    document.addEventListener("pointerdown", onPointer);
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("pointerdown", onPointer);
      document.removeEventListener("keydown", onKey);
    };
  }, []);
  const inInventory = INVENTORY.some((n) => pathname.startsWith(n.href));
  return (
    <nav aria-label="Main" className="border-b border-slate-200 bg-white print:hidden dark:border-slate-800 dark:bg-slate-900">
      <div className="mx-auto flex max-w-[1600px] flex-wrap items-center gap-x-1 gap-y-1 px-4 py-2">
        <a href="/" className="mr-3 flex items-center gap-2 font-semibold text-slate-900 hover:no-underline dark:text-slate-100">
          <span aria-hidden className="inline-block h-5 w-5 rounded bg-gradient-to-br from-blue-600 to-emerald-500" />
          wi-atlas
        </a>
        {NAV.map((n) => {
          const active = n.href === "/" ? pathname === "/" : pathname.startsWith(n.href);
          return (
            <a key={n.href} href={n.href} aria-current={active ? "page" : undefined} className={linkCls(active)}>
              {n.label}
            </a>
          );
        })}
        <details ref={menu} className="relative" data-testid="inventory-menu">
          <summary className={`${linkCls(inInventory)} cursor-pointer list-none`}>Inventory ▾</summary>
          <ul className="absolute left-0 z-50 mt-1 w-64 rounded border border-slate-200 bg-white py-1 shadow-lg dark:border-slate-700 dark:bg-slate-900">
            {INVENTORY.map((n) => (
              <li key={n.href}>
                <a href={n.href} aria-current={pathname.startsWith(n.href) ? "page" : undefined} className="block px-3 py-1.5 text-sm text-slate-800 hover:bg-slate-100 hover:no-underline dark:text-slate-200 dark:hover:bg-slate-800">
                  {n.label}
                </a>
              </li>
            ))}
          </ul>
        </details>
        <div className="ml-auto flex items-center gap-2">
          <SearchBox />
          <ScanProgress compact />
          <SignedIn />
          <ThemeToggle />
        </div>
      </div>
    </nav>
  );
}

/** The signed-in person and their role (nothing without sign-in), with sign-out under OIDC. */
function SignedIn() {
  const { me } = useMe();
  if (!me || me.authMode === "none") return null;
  return (
    <span className="flex items-center gap-2 text-sm text-slate-700 dark:text-slate-300" data-testid="signed-in">
      <span title={me.name ?? undefined}>{me.email}</span>
      <span className="rounded bg-slate-100 px-1.5 py-0.5 text-xs dark:bg-slate-800">{me.role}</span>
      {me.canSignOut && (
        <a href="/api/auth/logout" className="text-xs">
          Sign out
        </a>
      )}
    </span>
  );
}
