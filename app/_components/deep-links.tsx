"use client";
/**
 * Ways out of wi-atlas to the object itself: its Google Cloud Console page, and the kubectl commands
 * that show a Kubernetes object in its cluster (lib/console-links.ts derives both from the subject).
 */
import { useState } from "react";
import { consoleUrl, gsaConsoleUrl, kubectlCommands } from "@/lib/console-links";
import { CodeBlock } from "./findings-list";

/** "Open in Cloud Console ↗" for a GSA, key, cluster, node pool or project; nothing for other subjects. */
export function ConsoleLink({ subject, uniqueId, project }: { subject: string; uniqueId?: string | null; project?: string | null }) {
  // A GSA whose email does not name its project (the Compute Engine default account) needs it given.
  const href = subject.startsWith("gsa:") ? gsaConsoleUrl(subject.slice(4), { uniqueId, project }) : consoleUrl(subject, { uniqueId });
  if (!href) return null;
  return (
    <a href={href} target="_blank" rel="noopener noreferrer" className="text-sm whitespace-nowrap" data-testid="console-link">
      Open in Cloud Console ↗
    </a>
  );
}

/** The kubectl commands of a Kubernetes object, each with a Copy button; nothing for other subjects. */
export function KubectlCommands({ subject }: { subject: string }) {
  const k = kubectlCommands(subject);
  if (!k) return null;
  return (
    <div className="space-y-2" data-testid="kubectl">
      <CodeBlock text={k.show} label="kubectl command" />
      <p className="text-xs text-slate-600 dark:text-slate-400">
        Context <span className="mono">{k.context}</span> is the one this writes (once per cluster and workstation):
      </p>
      <CodeBlock text={k.getCredentials} label="get-credentials command" />
    </div>
  );
}

/** A compact header action: "kubectl ▾" opening the commands. */
export function KubectlMenu({ subject }: { subject: string }) {
  const [open, setOpen] = useState(false);
  if (!kubectlCommands(subject)) return null;
  return (
    <div className="relative" onKeyDown={(e) => e.key === "Escape" && setOpen(false)}>
      <button type="button" aria-expanded={open} onClick={() => setOpen(!open)} className="rounded border border-slate-300 px-2 py-0.5 text-sm whitespace-nowrap dark:border-slate-700">
        kubectl ▾
      </button>
      {open && (
        <div className="absolute right-0 z-20 mt-1 w-[36rem] max-w-[90vw] rounded-md border border-slate-200 bg-white p-3 shadow-lg dark:border-slate-700 dark:bg-slate-900">
          <KubectlCommands subject={subject} />
        </div>
      )}
    </div>
  );
}
