/** Markdown list of every CSV report and its columns, as the README shows it (kept true by a test). */
import { TABLES } from "./tables";

export function columnsMarkdown(): string {
  return Object.values(TABLES)
    .map((t) => `- \`/api/reports/${t.name}.csv\` — ${t.title}: ${t.columns.filter((c) => !c.uiOnly).map((c) => `\`${c.id}\``).join(", ")}`)
    .join("\n");
}
