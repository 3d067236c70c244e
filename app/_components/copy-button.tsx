"use client";
import { useState } from "react";

/**
 * Copies a full id (a subject, an email) to the clipboard: long ids wrap or truncate in tables, and
 * people paste them into gcloud, kubectl and tickets. Says "copied" for a moment; where the clipboard
 * is not available (plain http on another host) it selects nothing and says so in its title.
 */
export function CopyButton({ value, label = "Copy", className = "" }: { value: string; label?: string; className?: string }) {
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  return (
    <button
      type="button"
      aria-label={`${label} ${value}`}
      title={state === "failed" ? "The browser did not allow copying here" : `${label}: ${value}`}
      data-testid="copy-button"
      onClick={async (e) => {
        e.preventDefault();
        e.stopPropagation();
        try {
          await navigator.clipboard.writeText(value);
          setState("copied");
        } catch {
          setState("failed");
        }
        setTimeout(() => setState("idle"), 1500);
      }}
      className={`ml-1 inline-flex items-center rounded px-0.5 align-baseline text-[10px] leading-none text-slate-500 hover:bg-slate-200 hover:text-slate-900 focus:opacity-100 dark:text-slate-400 dark:hover:bg-slate-700 dark:hover:text-slate-100 ${className}`}
    >
      {state === "copied" ? "copied" : state === "failed" ? "✗" : "⧉"}
    </button>
  );
}
