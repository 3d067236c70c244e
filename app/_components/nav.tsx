"use client";
import { usePathname } from "next/navigation";
import { ThemeToggle } from "./theme-toggle";

export const NAV = [
  { href: "/", label: "Overview" },
  { href: "/findings", label: "Findings" },
  { href: "/migration", label: "Migration" },
  { href: "/shared", label: "Shared" },
  { href: "/gsas", label: "GSAs" },
  { href: "/keys", label: "Keys" },
  { href: "/secrets", label: "Key Secrets" },
  { href: "/clusters", label: "Clusters" },
  { href: "/ksas", label: "KSAs" },
  { href: "/workloads", label: "Workloads" },
  { href: "/bindings", label: "Bindings" },
  { href: "/coverage", label: "Coverage" },
];

export function Nav() {
  const pathname = usePathname();
  return (
    <nav aria-label="Main" className="border-b border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900">
      <div className="mx-auto flex max-w-[1600px] flex-wrap items-center gap-x-1 gap-y-1 px-4 py-2">
        <a href="/" className="mr-4 flex items-center gap-2 font-semibold text-slate-900 hover:no-underline dark:text-slate-100">
          <span aria-hidden className="inline-block h-5 w-5 rounded bg-gradient-to-br from-blue-600 to-emerald-500" />
          wi-atlas
        </a>
        {NAV.map((n) => {
          const active = n.href === "/" ? pathname === "/" : pathname.startsWith(n.href);
          return (
            <a
              key={n.href}
              href={n.href}
              aria-current={active ? "page" : undefined}
              className={`rounded px-2 py-1 text-sm hover:no-underline ${
                active ? "bg-slate-900 text-white dark:bg-slate-100 dark:text-slate-900" : "text-slate-700 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800"
              }`}
            >
              {n.label}
            </a>
          );
        })}
        <div className="ml-auto flex items-center gap-2">
          <ThemeToggle />
        </div>
      </div>
    </nav>
  );
}
