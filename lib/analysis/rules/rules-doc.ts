/** The README's table of rules (kept true by a test). */
import { RULES } from "./index";

export function rulesMarkdown(): string {
  return [
    "| Rule id | Severity | Finds |",
    "| --- | --- | --- |",
    ...RULES.map((r) => `| \`${r.id}\`${r.absence ? " †" : ""} | ${r.severity}${r.severityNote ? ` (${r.severityNote})` : ""} | ${r.title} |`),
  ].join("\n");
}
