/**
 * What changed between two scans: GSAs, keys (created, deleted, newly found in a Secret), bindings,
 * annotations, workloads moved to Workload Identity, findings opened and resolved. An object whose
 * source failed in either scan is `unknown`, never `disappeared`: we cannot tell it is gone.
 */
import type { Db } from "./db";
import { badRequest, notFound } from "../api/problem";

export type Change = {
  category: "gsa" | "key" | "key-in-secret" | "binding" | "annotation" | "workload" | "migration" | "finding" | "cluster" | "nodepool";
  change: "appeared" | "disappeared" | "changed" | "unknown";
  subject: string;
  detail: string;
};

type Row = { kind: string; subject: string; rule: string | null; a_hash: string | null; b_hash: string | null; a_data: Record<string, unknown> | null; b_data: Record<string, unknown> | null; a_source: string | null; b_source: string | null };

const INVENTORY_KINDS = ["gsa", "key", "secret", "ksa", "iam-policy", "workload", "cluster", "nodepool"];

async function versionsBetween(db: Db, table: "inventory_object" | "analysis_object", kinds: string[], from: number, to: number, keyCol: string): Promise<Row[]> {
  const r = await db.pool.query<Row>(
    `with a as (select kind, ${keyCol} as k, subject, ${table === "inventory_object" ? "source, null::text as rule" : "null::text as source, rule"}, hash, data from ${table}
                where kind = any($3::text[]) and valid_from <= $1 and (valid_to is null or valid_to > $1)),
          b as (select kind, ${keyCol} as k, subject, ${table === "inventory_object" ? "source, null::text as rule" : "null::text as source, rule"}, hash, data from ${table}
                where kind = any($3::text[]) and valid_from <= $2 and (valid_to is null or valid_to > $2))
     select coalesce(a.kind, b.kind) as kind, coalesce(b.subject, a.subject) as subject, coalesce(b.rule, a.rule) as rule, a.hash as a_hash, b.hash as b_hash,
       a.data as a_data, b.data as b_data, a.source as a_source, b.source as b_source
     from a full join b on a.kind = b.kind and a.k = b.k
     where a.hash is distinct from b.hash
     order by 1, 2`,
    [from, to, kinds],
  );
  return r.rows;
}

function changedFields(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).sort();
}

type Binding = { role: string; members: string[]; condition: unknown };
function members(policy: Record<string, unknown> | null): Set<string> {
  const out = new Set<string>();
  for (const b of ((policy?.bindings as Binding[] | undefined) ?? [])) for (const m of b.members) out.add(`${b.role} → ${m}${b.condition ? " (conditional)" : ""}`);
  return out;
}

export async function compareScans(db: Db, from: number, to: number): Promise<{ from: number; to: number; changes: Change[]; counts: Record<string, number> }> {
  if (!Number.isInteger(from) || !Number.isInteger(to) || from < 1 || to < 1) throw badRequest(`Query parameters "from" and "to" must be scan numbers`);
  if (from === to) throw badRequest(`"from" and "to" are the same scan (#${from})`);
  if (from > to) [from, to] = [to, from];
  const scans = await db.pool.query<{ id: number; status: string; pruned_at: string | null }>(`select id, status, pruned_at from scan where id = any($1::int[])`, [[from, to]]);
  for (const id of [from, to]) {
    const s = scans.rows.find((x) => x.id === id);
    if (!s) throw notFound(`No scan #${id}`);
    if (s.pruned_at) throw badRequest(`Scan #${id} is older than the retention window; its details were pruned`);
    if (!["succeeded", "partial"].includes(s.status)) throw badRequest(`Scan #${id} ${s.status}: nothing of it was applied, so there is nothing to compare`);
  }
  const srcStatus = await db.pool.query<{ scan_id: number; source: string; status: string }>(`select scan_id, source, status from scan_source where scan_id = any($1::int[])`, [[from, to]]);
  const status = new Map(srcStatus.rows.map((r) => [`${r.scan_id}|${r.source}`, r.status]));
  const failedIn = (scan: number, source: string | null) => !!source && status.get(`${scan}|${source}`) !== "ok";

  const changes: Change[] = [];
  const add = (c: Change) => changes.push(c);
  for (const r of await versionsBetween(db, "inventory_object", INVENTORY_KINDS, from, to, "subject")) {
    const appeared = !r.a_hash;
    const gone = !r.b_hash;
    const source = r.b_source ?? r.a_source;
    const uncertain = (appeared && failedIn(from, source)) || (gone && failedIn(to, source));
    const change: Change["change"] = uncertain ? "unknown" : appeared ? "appeared" : gone ? "disappeared" : "changed";
    const a = r.a_data ?? {};
    const b = r.b_data ?? {};
    switch (r.kind) {
      case "gsa":
        add({ category: "gsa", change, subject: r.subject, detail: appeared ? "created" : gone ? "deleted" : `changed: ${changedFields(a, b).join(", ")}` });
        break;
      case "key":
        add({
          category: "key",
          change,
          subject: r.subject,
          detail: appeared ? `created (valid ${String(b.validAfterTime).slice(0, 10)} to ${String(b.validBeforeTime).slice(0, 10)})` : gone ? "deleted" : `changed: ${changedFields(a, b).join(", ")}`,
        });
        break;
      case "secret": {
        const before = new Set(((a.credentials as { keyId: string | null; clientEmail: string | null }[] | undefined) ?? []).map((c) => `${c.keyId ?? c.clientEmail}`));
        const after = ((b.credentials as { keyId: string | null; clientEmail: string | null; type: string }[] | undefined) ?? []).filter((c) => !before.has(`${c.keyId ?? c.clientEmail}`));
        const removed = [...before].filter((k) => !((b.credentials as { keyId: string | null; clientEmail: string | null }[] | undefined) ?? []).some((c) => `${c.keyId ?? c.clientEmail}` === k));
        for (const c of after) add({ category: "key-in-secret", change: uncertain ? "unknown" : "appeared", subject: r.subject, detail: `key ${c.keyId ?? c.type} of ${c.clientEmail ?? "?"} newly found in this Secret` });
        for (const k of removed) add({ category: "key-in-secret", change: uncertain ? "unknown" : "disappeared", subject: r.subject, detail: `key ${k} no longer in this Secret${gone ? " (Secret deleted)" : ""}` });
        break;
      }
      case "ksa": {
        const before = (a.gsaAnnotation as string | null | undefined) ?? null;
        const after = (b.gsaAnnotation as string | null | undefined) ?? null;
        if (before === after) break;
        add({
          category: "annotation",
          change: uncertain ? "unknown" : before === null ? "appeared" : after === null ? "disappeared" : "changed",
          subject: r.subject,
          detail: before === null ? `annotated ${JSON.stringify(after)}` : after === null ? `annotation ${JSON.stringify(before)} removed${gone ? " (KSA deleted)" : ""}` : `annotation ${JSON.stringify(before)} → ${JSON.stringify(after)}`,
        });
        break;
      }
      case "iam-policy": {
        const before = members(r.a_data);
        const after = members(r.b_data);
        for (const m of after) if (!before.has(m)) add({ category: "binding", change: uncertain ? "unknown" : "appeared", subject: r.subject, detail: `+ ${m}` });
        for (const m of before) if (!after.has(m)) add({ category: "binding", change: uncertain ? "unknown" : "disappeared", subject: r.subject, detail: `− ${m}` });
        break;
      }
      case "workload":
        if (appeared || gone) add({ category: "workload", change, subject: r.subject, detail: appeared ? "deployed" : "removed" });
        break;
      case "cluster":
      case "nodepool":
        add({ category: r.kind, change, subject: r.subject, detail: appeared ? "created" : gone ? "deleted" : `changed: ${changedFields(a, b).join(", ")}` });
        break;
    }
  }

  for (const r of await versionsBetween(db, "analysis_object", ["finding", "workload-status"], from, to, "key")) {
    if (r.kind === "finding") {
      const d = (r.b_data ?? r.a_data) as { title?: string; message?: string };
      if (r.a_hash && r.b_hash) continue; // the same finding, reworded: not a change worth a line
      add({ category: "finding", change: r.a_hash ? "disappeared" : "appeared", subject: r.subject, detail: `${r.rule} ${r.a_hash ? "resolved" : "opened"}: ${d.message ?? d.title ?? ""}` });
    } else {
      const a = r.a_data as { migrated?: boolean; migration?: string; identity?: { label: string; source: string } } | null;
      const b = r.b_data as { migrated?: boolean; migration?: string; identity?: { label: string; source: string } } | null;
      if (!a || !b) continue;
      // Done on its own principal is no move to Workload Identity: say what it became.
      const onto = b.migration === "no-google-identity-needed" ? "left its legacy path (needs no Google identity)" : b.migration === "federated" ? "moved to its federated principal" : "moved to Workload Identity";
      // A status stored before migration statuses existed, same identity: only the definition changed.
      if (a.migration === undefined && b.migration !== undefined && a.migrated !== b.migrated && a.identity?.label === b.identity?.label) {
        add({ category: "migration", change: "changed", subject: r.subject, detail: `now counted as ${b.migration} (migration statuses introduced; its identity ${b.identity?.label} did not change)` });
      } else if (!a.migrated && b.migrated) add({ category: "migration", change: "changed", subject: r.subject, detail: `${onto}: ${a.identity?.label} → ${b.identity?.label}` });
      else if (a.migrated && !b.migrated) add({ category: "migration", change: "changed", subject: r.subject, detail: `no longer migrated${b.migration ? ` (${b.migration})` : ""}: ${a.identity?.label} → ${b.identity?.label}` });
      else if (a.identity?.label !== b.identity?.label) add({ category: "migration", change: "changed", subject: r.subject, detail: `effective identity ${a.identity?.label} → ${b.identity?.label}` });
    }
  }
  const counts: Record<string, number> = {};
  for (const c of changes) counts[`${c.category}:${c.change}`] = (counts[`${c.category}:${c.change}`] ?? 0) + 1;
  return { from, to, changes, counts };
}
