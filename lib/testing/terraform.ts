/**
 * For deploy tests: read deploy/terraform as Terraform itself would parse it (@cdktf/hcl2json, the
 * HCL parser cdktf uses), list every reference an expression makes, and evaluate the few simple
 * expression forms our own files use — enough to turn the declared service accounts and bindings
 * into an estate. An expression outside those forms throws, naming it, so nothing is skipped silently.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse, getReferencesInExpression } from "@cdktf/hcl2json";

/** One `resource "TYPE" "NAME"` (or `data`) block, as hcl2json gives it. */
export type TfBlock = Record<string, unknown>;

/** Every .tf file of a folder, merged: what `terraform plan` would read. */
export type TfConfig = {
  /** File name → its parsed JSON. */
  files: Map<string, Record<string, unknown>>;
  /** Declared variables (name → block). */
  variables: Map<string, TfBlock>;
  /** Declared locals (name → value, with `${…}` expressions left as text). */
  locals: Map<string, unknown>;
  /** Managed resources by `TYPE.NAME`. */
  resources: Map<string, TfBlock>;
  /** Data sources by `TYPE.NAME`. */
  data: Map<string, TfBlock>;
  /** Module calls by name. */
  modules: Map<string, TfBlock>;
  outputs: Map<string, TfBlock>;
};

export async function readTerraform(dir: string): Promise<TfConfig> {
  const cfg: TfConfig = { files: new Map(), variables: new Map(), locals: new Map(), resources: new Map(), data: new Map(), modules: new Map(), outputs: new Map() };
  for (const f of readdirSync(dir).filter((x) => x.endsWith(".tf")).sort()) {
    const json = (await parse(f, readFileSync(path.join(dir, f), "utf8"))) as Record<string, unknown>;
    cfg.files.set(f, json);
    for (const [k, v] of Object.entries((json.variable ?? {}) as Record<string, TfBlock[]>)) cfg.variables.set(k, v[0]);
    for (const block of (json.locals ?? []) as Record<string, unknown>[]) for (const [k, v] of Object.entries(block)) cfg.locals.set(k, v);
    for (const [type, byName] of Object.entries((json.resource ?? {}) as Record<string, Record<string, TfBlock[]>>))
      for (const [name, v] of Object.entries(byName)) cfg.resources.set(`${type}.${name}`, v[0]);
    for (const [type, byName] of Object.entries((json.data ?? {}) as Record<string, Record<string, TfBlock[]>>))
      for (const [name, v] of Object.entries(byName)) cfg.data.set(`${type}.${name}`, v[0]);
    for (const [k, v] of Object.entries((json.module ?? {}) as Record<string, TfBlock[]>)) cfg.modules.set(k, v[0]);
    for (const [k, v] of Object.entries((json.output ?? {}) as Record<string, TfBlock[]>)) cfg.outputs.set(k, v[0]);
  }
  return cfg;
}

/** Every `${…}` reference in a block (strings anywhere inside it), with the file's name for messages. */
export async function referencesIn(value: unknown): Promise<string[]> {
  const out: string[] = [];
  const walk = async (v: unknown): Promise<void> => {
    if (typeof v === "string") {
      if (v.includes("${")) for (const r of await getReferencesInExpression("main.tf", v)) out.push(r.value);
    } else if (Array.isArray(v)) for (const x of v) await walk(x);
    else if (v && typeof v === "object") for (const x of Object.values(v)) await walk(x);
  };
  await walk(value);
  return out;
}

/** Where a reference points, or why it points nowhere (null when it resolves). */
export function unresolved(cfg: TfConfig, ref: string, where: { hasEach: boolean; hasCount: boolean }): string | null {
  const parts = ref.split(".");
  const [head, second] = parts;
  if (head === "var") return cfg.variables.has(second) ? null : `var.${second} is not declared`;
  if (head === "local") return cfg.locals.has(second) ? null : `local.${second} is not declared`;
  if (head === "module") return cfg.modules.has(second) ? null : `module.${second} is not declared`;
  if (head === "data") return cfg.data.has(`${second}.${parts[2]}`) ? null : `data.${second}.${parts[2]} is not declared`;
  if (head === "each") return where.hasEach ? null : "each.* outside a for_each block";
  if (head === "count") return where.hasCount ? null : "count.* outside a count block";
  if (head === "path" || head === "terraform" || head === "self") return null;
  return cfg.resources.has(`${head}.${second}`) ? null : `${head}.${second} is not declared`;
}

/** Values of the variables, as a terraform.tfvars would set them; defaults fill the rest. */
export type TfVars = Record<string, unknown>;

/**
 * Evaluates a string the way Terraform would for the forms our files use: references to variables,
 * locals and a few resource attributes (a service account's email/member/name, a custom role's name),
 * `coalesce(…)`, `toset([…])` and `length(var.x) == 0 ? 1 : 0` and `var.x == null ? A : B`. Anything else throws.
 */
export function evaluate(cfg: TfConfig, vars: TfVars, value: unknown, each?: string): unknown {
  if (Array.isArray(value)) return value.map((v) => evaluate(cfg, vars, v, each));
  if (typeof value !== "string") return value;
  const whole = /^\$\{([^}]*)\}$/.exec(value);
  if (whole) return expr(cfg, vars, whole[1].trim(), each);
  return value.replace(/\$\{([^}]*)\}/g, (_m, e: string) => String(expr(cfg, vars, e.trim(), each)));
}

function variable(cfg: TfConfig, vars: TfVars, name: string): unknown {
  if (name in vars) return vars[name];
  const v = cfg.variables.get(name);
  if (!v) throw new Error(`var.${name} is not declared`);
  if (!("default" in v)) throw new Error(`var.${name} has no default and the test gave no value`);
  return v.default;
}

function expr(cfg: TfConfig, vars: TfVars, e: string, each?: string): unknown {
  let m: RegExpExecArray | null;
  if ((m = /^coalesce\((.*)\)$/.exec(e))) {
    for (const arg of m[1].split(",")) {
      const v = expr(cfg, vars, arg.trim(), each);
      if (v !== null && v !== undefined && v !== "") return v;
    }
    throw new Error(`coalesce(${m[1]}): every argument is null`);
  }
  if ((m = /^toset\((\[.*\])\)$/.exec(e))) return [...new Set(JSON.parse(m[1]) as string[])];
  if ((m = /^toset\((var\.\w+)\)$/.exec(e))) return [...new Set(expr(cfg, vars, m[1], each) as string[])];
  if ((m = /^(var\.\w+) == null \? (.+) : (.+)$/.exec(e))) return expr(cfg, vars, m[1], each) == null ? expr(cfg, vars, m[2].trim(), each) : expr(cfg, vars, m[3].trim(), each);
  if ((m = /^length\((var\.\w+)\) == 0 \? 1 : 0$/.exec(e))) return (expr(cfg, vars, m[1], each) as unknown[]).length === 0 ? 1 : 0;
  if ((m = /^var\.(\w+)$/.exec(e))) return variable(cfg, vars, m[1]);
  if ((m = /^local\.(\w+)$/.exec(e))) {
    if (!cfg.locals.has(m[1])) throw new Error(`local.${m[1]} is not declared`);
    return evaluate(cfg, vars, cfg.locals.get(m[1]), each);
  }
  if (e === "each.value" || e === "each.key") {
    if (each === undefined) throw new Error(`${e} outside a for_each`);
    return each;
  }
  if ((m = /^google_service_account\.(\w+)\.(email|member|name)$/.exec(e))) {
    const sa = cfg.resources.get(`google_service_account.${m[1]}`);
    if (!sa) throw new Error(`google_service_account.${m[1]} is not declared`);
    const email = `${evaluate(cfg, vars, sa.account_id)}@${evaluate(cfg, vars, sa.project)}.iam.gserviceaccount.com`;
    return m[2] === "email" ? email : m[2] === "member" ? `serviceAccount:${email}` : `projects/${evaluate(cfg, vars, sa.project)}/serviceAccounts/${email}`;
  }
  if ((m = /^google_organization_iam_custom_role\.(\w+)\.name$/.exec(e))) {
    const role = cfg.resources.get(`google_organization_iam_custom_role.${m[1]}`);
    if (!role) throw new Error(`google_organization_iam_custom_role.${m[1]} is not declared`);
    return `organizations/${evaluate(cfg, vars, role.org_id)}/roles/${evaluate(cfg, vars, role.role_id)}`;
  }
  throw new Error(`the test's evaluator does not know the expression \${${e}}; extend lib/testing/terraform.ts`);
}

/**
 * The instances of a resource block: one per for_each value (`each.value` set), `count` copies, or
 * one. Each instance is the block with its arguments evaluated.
 */
export function instances(cfg: TfConfig, vars: TfVars, address: string): Record<string, unknown>[] {
  const block = cfg.resources.get(address);
  if (!block) throw new Error(`${address} is not declared`);
  const args = Object.entries(block).filter(([k]) => k !== "for_each" && k !== "count" && k !== "depends_on" && typeof block[k] !== "object");
  const one = (each?: string) => Object.fromEntries(args.map(([k, v]) => [k, evaluate(cfg, vars, v, each)]));
  if (block.for_each !== undefined) return (evaluate(cfg, vars, block.for_each) as string[]).map((v) => one(v));
  if (block.count !== undefined) return Array.from({ length: evaluate(cfg, vars, block.count) as number }, () => one());
  return [one()];
}
