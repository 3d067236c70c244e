/**
 * One plan per shared account: for every workload of every shared account (gsa-shared) in the demo
 * and in the generated org-s, the workload page's plan, its findings' fixes and the change set's
 * reading of the plan all move it to the account and KSA the GSA's split assigns it — never bind a
 * new KSA to the shared account, never name another new account.
 */
import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { analyzeEstateFile, analyzeLoadedEstate } from "./testing";
import { generateEstate } from "../simulator/generate-estate";
import { readPlan } from "../changeset/targets";
import type { AnalysisResult } from "./run-analysis";
import type { Fix } from "./model";

type Split = { workload: string; gsa: string; ksa: string };

/** Every KSA a fix annotates, and every account a binding or check names, in the fix texts. */
function accountsIn(fixes: Fix[]): { annotated: { ksa: string; gsa: string }[]; bound: string[]; checked: string[] } {
  const annotated: { ksa: string; gsa: string }[] = [];
  const bound: string[] = [];
  const checked: string[] = [];
  for (const f of fixes) {
    if (f.kind === "kubernetes-yaml") {
      const doc = YAML.parse(f.content.split("\n").filter((l) => !l.startsWith("#")).join("\n")) as { kind?: string; metadata?: { name: string; namespace: string; annotations?: Record<string, string> } } | null;
      const gsa = doc?.kind === "ServiceAccount" ? doc.metadata?.annotations?.["iam.gke.io/gcp-service-account"] : undefined;
      if (gsa) annotated.push({ ksa: `${doc!.metadata!.namespace}/${doc!.metadata!.name}`, gsa });
    }
    for (const m of f.content.matchAll(/gcloud iam service-accounts add-iam-policy-binding (\S+)/g)) bound.push(m[1]);
    for (const m of f.content.matchAll(/# Expect the email (\S+), then/g)) checked.push(m[1]);
  }
  return { annotated, bound, checked };
}

function disagreements(r: AnalysisResult): { checked: number; problems: string[] } {
  const problems: string[] = [];
  let checked = 0;
  const statuses = new Map(r.statuses.map((s) => [s.subject, s]));
  for (const f of r.findings.filter((x) => x.rule === "gsa-shared")) {
    const shared = f.subject.slice(4);
    const split = (f.evidence as { proposedSplit: Split[] }).proposedSplit;
    for (const entry of split) {
      for (const w of entry.workload.split(", ").filter((x) => x.startsWith("workload:"))) {
        const st = statuses.get(w)!;
        if (!st.plan.length) continue; // migrated, or no plan: nothing to disagree with
        checked++;
        const where = `${w} (split of ${shared})`;
        // The workload page's "What to change".
        const plan = readPlan(st.plan);
        if (plan.ksaManifest?.gsa !== entry.gsa) problems.push(`${where}: its plan annotates with ${plan.ksaManifest?.gsa ?? "nothing"}, the split assigns ${entry.gsa}`);
        if (`${st.namespace}/${plan.ksaManifest?.name}` !== entry.ksa) problems.push(`${where}: its plan's KSA is ${plan.ksaManifest?.name}, the split's ${entry.ksa}`);
        if (plan.binding && plan.binding.gsa !== entry.gsa) problems.push(`${where}: its plan binds ${plan.binding.gsa}`);
        if (plan.createGsa !== entry.gsa) problems.push(`${where}: its plan creates ${plan.createGsa ?? "no account"}`);
        // Its findings' fixes: every account they annotate, bind or check is the split's.
        for (const g of r.findings.filter((x) => x.subject === w)) {
          const a = accountsIn(g.fixes ?? []);
          for (const x of a.annotated) if (x.gsa !== entry.gsa) problems.push(`${where}: ${g.rule} annotates ${x.ksa} with ${x.gsa}`);
          for (const b of a.bound) if (b !== entry.gsa) problems.push(`${where}: ${g.rule} binds ${b}`);
          for (const c of a.checked) if (c !== entry.gsa) problems.push(`${where}: ${g.rule} checks for ${c}`);
        }
      }
    }
  }
  return { checked, problems };
}

describe("one plan per shared account", () => {
  it("in the demo, each common-batch workload's plan and fixes move it to the account its split assigns it", async () => {
    const r = await analyzeEstateFile("lib/simulator/estates/demo/estate.yaml");
    const { checked, problems } = disagreements(r);
    expect(problems).toEqual([]);
    // common-batch's four key users: three in prod, one in legacy-batch.
    expect(checked).toBe(4);
    const daily = r.statuses.find((s) => s.subject === "workload:acme-prod/asia-northeast1/prod/batch/CronJob/daily-settlement")!;
    expect(readPlan(daily.plan).ksaManifest).toEqual({ name: "daily-settlement", gsa: "daily-settlement@acme-prod.iam.gserviceaccount.com" });
    expect(daily.plan[0].title).toBe("Create daily-settlement@acme-prod.iam.gserviceaccount.com — the account the split of shared common-batch@acme-prod.iam.gserviceaccount.com (gsa-shared) gives daily-settlement, starting with common-batch's role marked TO NARROW");
    expect(daily.plan[0].content).toBe(
      'gcloud iam service-accounts create daily-settlement --project=acme-prod --display-name="daily-settlement (split from common-batch)"\n' +
        'gcloud projects add-iam-policy-binding acme-prod \\\n  --role=roles/editor --member="serviceAccount:daily-settlement@acme-prod.iam.gserviceaccount.com"  # TO NARROW',
    );
  }, 120_000);

  it("in the generated org-s, every workload of every shared account gets the plan its account's split assigns", async () => {
    const r = await analyzeLoadedEstate(generateEstate("org-s"));
    const { checked, problems } = disagreements(r);
    expect(problems).toEqual([]);
    console.log(`org-s: ${checked} workloads of shared accounts checked against their splits`);
    expect(checked).toBeGreaterThan(10);
  }, 600_000);
});
