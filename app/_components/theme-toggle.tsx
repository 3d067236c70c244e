"use client";
import { useEffect, useState } from "react";

/** Light / dark / system; the choice is kept in localStorage and applied before paint (see layout). */
export function ThemeToggle() {
  const [mode, setMode] = useState<"light" | "dark" | "system">("system");
  useEffect(() => {
    setMode((localStorage.getItem("theme") as "light" | "dark" | null) ?? "system");
  }, []);
  const apply = (m: "light" | "dark" | "system") => {
    setMode(m);
    if (m === "system") localStorage.removeItem("theme");
    else localStorage.setItem("theme", m);
    const dark = m === "dark" || (m === "system" && matchMedia("(prefers-color-scheme: dark)").matches);
    document.documentElement.classList.toggle("dark", dark);
  };
  return (
    <label className="flex items-center gap-1 text-xs text-slate-600 dark:text-slate-400">
      <span>Theme</span>
      <select aria-label="Theme" value={mode} onChange={(e) => apply(e.target.value as "light" | "dark" | "system")} className="rounded border border-slate-300 bg-white px-1 py-0.5 dark:border-slate-700 dark:bg-slate-900">
        <option value="system">system</option>
        <option value="light">light</option>
        <option value="dark">dark</option>
      </select>
    </label>
  );
}
