import { route } from "@/lib/api/respond";
import { RULES } from "@/lib/analysis/rules";

/** The finding rules: ids (stable, part of the interface), severities, titles, why they matter. */
export const GET = route(async () => ({
  rules: RULES.map((r) => ({ id: r.id, severity: r.severity, severityNote: r.severityNote ?? null, title: r.title, why: r.why, absence: r.absence })),
}));
