import type { ReactNode } from "react";
import { Badge, Email, Path, Time } from "./ui";
import { subjectHref, subjectLabel } from "./links";

export function Cell({ type, id, value }: { type: string; id: string; value: unknown }): ReactNode {
  if (id === "stale") return value ? <Badge tone="amber" title={String(value)}>stale</Badge> : null;
  if (value === null || value === undefined || value === "") return <span className="text-slate-400">—</span>;
  switch (type) {
    case "subject":
      return (
        <a href={subjectHref(String(value))} className="mono text-xs">
          <Path value={subjectLabel(String(value))} />
        </a>
      );
    case "gsa":
      return (
        <a href={subjectHref(`gsa:${value}`)} className="mono text-xs">
          <Email value={String(value)} />
        </a>
      );
    case "bool":
      return value ? "yes" : <span className="text-slate-400">no</span>;
    case "time":
      return <Time value={String(value)} />;
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
      return <span className="break-words">{typeof value === "object" ? JSON.stringify(value) : String(value)}</span>;
  }
}
