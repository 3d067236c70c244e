/** The README's table of rules (kept true by a test). */
import { RULES } from "./index";
import { fixProofCell } from "./fix-proof";

export function rulesMarkdown(): string {
  return [
    "| Rule id | Severity | Finds | Fix proven by test |",
    "| --- | --- | --- | --- |",
    ...RULES.map((r) => `| \`${r.id}\`${r.absence ? " †" : ""} | ${r.severity}${r.severityNote ? ` (${r.severityNote})` : ""} | ${r.title} | ${fixProofCell(r.id)} |`),
  ].join("\n");
}
