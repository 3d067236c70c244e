import type { ReactNode } from "react";
import { Badge, Email, Path, Time } from "./ui";
import { subjectHref, subjectLabel } from "./links";
import { SEVERITY_TONE } from "./findings-list";
import { CopyButton } from "./copy-button";

export function Cell({ type, id, value }: { type: string; id: string; value: unknown }): ReactNode {
  if (id === "stale") return value ? <Badge tone="amber" title={String(value)}>stale</Badge> : null;
  if (value === null || value === undefined || value === "") return <span className="text-slate-500 dark:text-slate-400">—</span>;
  switch (type) {
    // Long ids wrap at each slash (or before the @); the full id is in the title and one click copies it.
    case "subject":
      return (
        <span className="group">
          <a href={subjectHref(String(value))} className="mono text-xs" title={String(value)}>
            <Path value={subjectLabel(String(value))} />
          </a>
          <CopyButton value={String(value)} label="Copy id" className="opacity-0 group-hover:opacity-100" />
        </span>
      );
    case "gsa":
      return (
        <span className="group">
          <a href={subjectHref(`gsa:${value}`)} className="mono text-xs" title={String(value)}>
            <Email value={String(value)} />
          </a>
          <CopyButton value={String(value)} label="Copy email" className="opacity-0 group-hover:opacity-100" />
        </span>
      );
    case "bool":
      return value ? "yes" : <span className="text-slate-500 dark:text-slate-400">no</span>;
    case "time":
      return <Time value={String(value)} />;
    case "rule":
      return (
        <a href={`/findings?rule=${value}`} className="mono text-xs whitespace-nowrap">
          {String(value)}
        </a>
      );
    case "severity":
      return <Badge tone={SEVERITY_TONE[String(value)] ?? "slate"}>{String(value)}</Badge>;
    case "state":
      return <Badge tone={value === "open" ? "red" : value === "unverified" ? "amber" : "slate"}>{String(value)}</Badge>;
    case "binding-state": {
      const tone = value === "ok" ? "green" : value === "stale" || value === "not-annotated" ? "red" : value === "broad" ? "amber" : value === "unverified" ? "amber" : "slate";
      return <Badge tone={tone}>{String(value)}</Badge>;
    }
    case "step": {
      const v = String(value);
      const tone = v === "done" ? "green" : v === "todo" ? "red" : v === "unknown" ? "amber" : "slate";
      return (
        <Badge tone={tone} title={v}>
          {v === "done" ? "✓" : v === "todo" ? "✗" : v === "unknown" ? "?" : "–"}
          <span className="sr-only"> {v}</span>
        </Badge>
      );
    }
    case "identity-source": {
      const v = String(value);
      const tone = v === "workload-identity" || v === "federated" || v === "external-account" ? "green" : v === "key-file" || v === "unknown-key-file" || v === "credential-file" ? "red" : v === "node" ? "amber" : "slate";
      return <Badge tone={tone}>{v}</Badge>;
    }
    case "migration-status": {
      const v = String(value);
      const tone = v === "to-migrate" ? "red" : v === "unknown" ? "amber" : "green";
      return <Badge tone={tone}>{v}</Badge>;
    }
    case "int":
      return <span className="tabular-nums">{String(value)}</span>;
    case "list":
      return (
        <span className="mono text-xs break-all">
          {String(value)
            .split(" ")
            .map((v, i) => (
              <span key={i} className="block">
                {v}
              </span>
            ))}
        </span>
      );
    default:
      return <span className="[overflow-wrap:anywhere]">{typeof value === "object" ? JSON.stringify(value) : String(value)}</span>;
  }
}
