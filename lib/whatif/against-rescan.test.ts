/**
 * What-if answers checked against the truth: ask, then REALLY make the same change in the simulator
 * (googleapis and client-node write calls over HTTP, as gcloud, kubectl and Terraform make them),
 * rescan in full, and compare the findings the rescan opened and resolved with those the answer
 * predicted — the same (rule, subject) pairs, pods aside (a rolled pod is a new pod). Then reset the
 * simulator and rescan, so each case starts from the same estate. On the demo estate and org-s.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { createTestDatabase, type TestDatabase } from "../testing/test-database";
import { scanWith, simulatorCluster, testConfig } from "../testing/scan-helpers";
import { startSimulator, type Simulator } from "../simulator/server";
import { loadEstateFile } from "../simulator/load-estate";
import { generateEstate } from "../simulator/generate-estate";
import { simulatorClients, type GoogleClients } from "../sources/gcp/clients";
import { clusterClient, type ClusterApis } from "../sources/k8s/clients";
import { whatIf } from "./what-if";
import { parseChanges, WORKLOAD_IDENTITY_USER, type Change } from "./changes";

const merge = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
const strategic = setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch);

type Writer = { g: GoogleClients; k8s: <T>(clusterPath: string, fn: (a: ClusterApis) => Promise<T>) => Promise<T> };

/** The write calls that make one change for real. */
async function applyForReal(w: Writer, c: Change): Promise<void> {
  const { g } = w;
  const [, id] = [c.subject.slice(0, c.subject.indexOf(":")), c.subject.slice(c.subject.indexOf(":") + 1)];
  const parts = id.split("/");
  const pollOp = async (project: string, location: string, name: string | null | undefined) => {
    for (let i = 0; i < 50; i++) {
      const op = (await g.container.projects.locations.operations.get({ name: `projects/${project}/locations/${location}/operations/${name}` })).data;
      if (op.status === "DONE") return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`operation ${name} never finished`);
  };
  switch (c.type) {
    case "delete-key":
      await g.iam.projects.serviceAccounts.keys.delete({ name: `projects/-/serviceAccounts/${parts[0]}/keys/${parts[1]}` });
      return;
    case "disable-key":
      await g.iam.projects.serviceAccounts.keys.disable({ name: `projects/-/serviceAccounts/${parts[0]}/keys/${parts[1]}`, requestBody: {} });
      return;
    case "disable-gsa":
      await g.iam.projects.serviceAccounts.disable({ name: `projects/-/serviceAccounts/${id}`, requestBody: {} });
      return;
    case "delete-gsa":
      await g.iam.projects.serviceAccounts.delete({ name: `projects/-/serviceAccounts/${id}` });
      return;
    case "remove-binding":
    case "remove-role":
    case "add-binding": {
      if (!c.subject.startsWith("gsa:") && !c.subject.startsWith("project:")) throw new Error(`no writer for grants on ${c.subject}`);
      const onGsa = c.subject.startsWith("gsa:");
      const resource = onGsa ? `projects/-/serviceAccounts/${id}` : id;
      const policy = onGsa
        ? (await g.iam.projects.serviceAccounts.getIamPolicy({ resource, "options.requestedPolicyVersion": 3 })).data
        : (await g.crmV1.projects.getIamPolicy({ resource, requestBody: { options: { requestedPolicyVersion: 3 } } })).data;
      let bindings = (policy.bindings ?? []).map((b) => ({ ...b, members: [...(b.members ?? [])] }));
      if (c.type === "add-binding") {
        const b = bindings.find((x) => x.role === c.role && !x.condition);
        if (b) b.members.push(c.member);
        else bindings.push({ role: c.role, members: [c.member] });
      } else bindings = bindings.map((b) => (b.role === c.role ? { ...b, members: b.members.filter((m) => m !== c.member) } : b)).filter((b) => b.members.length > 0);
      const body = { policy: { ...policy, version: 3, bindings } };
      if (onGsa) await g.iam.projects.serviceAccounts.setIamPolicy({ resource, requestBody: body });
      else await g.crmV1.projects.setIamPolicy({ resource, requestBody: body });
      return;
    }
    case "annotate-ksa":
      // What `kubectl annotate [--overwrite]` sends: a merge patch (null removes the annotation).
      await w.k8s(parts.slice(0, 3).join("/"), (a) =>
        a.core.patchNamespacedServiceAccount({ name: parts[4], namespace: parts[3], body: { metadata: { annotations: { "iam.gke.io/gcp-service-account": c.gsa } } } }, merge),
      );
      return;
    case "set-nodepool-metadata": {
      const op = (await g.container.projects.locations.clusters.nodePools.update({ name: `projects/${parts[0]}/locations/${parts[1]}/clusters/${parts[2]}/nodePools/${parts[3]}`, requestBody: { workloadMetadataConfig: { mode: c.mode } } })).data;
      await pollOp(parts[0], parts[1], op.name);
      return;
    }
    case "delete-nodepool": {
      const op = (await g.container.projects.locations.clusters.nodePools.delete({ name: `projects/${parts[0]}/locations/${parts[1]}/clusters/${parts[2]}/nodePools/${parts[3]}` })).data;
      await pollOp(parts[0], parts[1], op.name);
      return;
    }
    case "move-workload": {
      const [, , , ns, kind, name] = parts;
      if (kind !== "Deployment") throw new Error(`no writer for ${kind}`);
      const spec: Record<string, unknown> = {};
      if (c.pool) spec.nodeSelector = { "cloud.google.com/gke-nodepool": c.pool.split("/").pop() };
      if (c.ksa) spec.serviceAccountName = c.ksa.split("/").pop();
      await w.k8s(parts.slice(0, 3).join("/"), (a) => a.apps.patchNamespacedDeployment({ name, namespace: ns, body: { spec: { template: { spec } } } }, strategic));
      return;
    }
    case "delete-secret":
      await w.k8s(parts.slice(0, 3).join("/"), (a) => a.core.deleteNamespacedSecret({ name: parts[4], namespace: parts[3] }));
      return;
  }
}

/** The current findings as `rule subject`, pods aside. */
async function findingPairs(t: TestDatabase): Promise<Set<string>> {
  const r = await t.db.pool.query<{ p: string }>(`select rule || ' ' || subject as p from analysis_object where kind = 'finding' and valid_to is null and subject not like 'pod:%'`);
  return new Set(r.rows.map((x) => x.p));
}

const minus = (a: Set<string>, b: Set<string>) => [...a].filter((x) => !b.has(x)).sort();

function checkAgainstRescan(name: string, setup: () => Promise<{ t: TestDatabase; sim: Simulator }>, cases: () => Promise<{ title: string; changes: unknown[] }[]>) {
  describe(`what-if answers match a full rescan after really making the change: ${name}`, () => {
    let t: TestDatabase;
    let sim: Simulator;
    let writer: Writer;
    let list: { title: string; changes: unknown[] }[] = [];
    beforeAll(async () => {
      ({ t, sim } = await setup());
      await scanWith(t.db, sim, testConfig({ WI_ATLAS_INVENTORY_PATH: "direct" }));
      const g = simulatorClients(sim.url);
      writer = { g, k8s: (path, fn) => clusterClient(simulatorCluster(sim, path), async () => "token").with(AbortSignal.timeout(20_000), fn) };
      list = await cases();
    }, 300_000);
    afterAll(async () => {
      await sim?.close();
      await t?.drop();
    });

    it("predicts, for each change, exactly the findings the rescan opens and resolves", async () => {
      expect(list.length).toBeGreaterThan(0);
      const tally: string[] = [];
      for (const c of list) {
        const parsed = parseChanges(c.changes);
        if (!parsed.ok) throw new Error(`${c.title}: ${parsed.error}`);
        const before = await findingPairs(t);
        const answer = await whatIf(t.db, parsed.changes);
        for (const ch of parsed.changes) await applyForReal(writer, ch);
        await scanWith(t.db, sim, testConfig({ WI_ATLAS_INVENTORY_PATH: "direct" }));
        const after = await findingPairs(t);
        const pods = (f: { subject: string }) => !f.subject.startsWith("pod:");
        expect({ case: c.title, opened: answer.findings.opened.filter(pods).map((f) => `${f.rule} ${f.subject}`).sort() }).toEqual({ case: c.title, opened: minus(after, before) });
        expect({ case: c.title, resolved: answer.findings.resolved.filter(pods).map((f) => `${f.rule} ${f.subject}`).sort() }).toEqual({ case: c.title, resolved: minus(before, after) });
        tally.push(`${c.title}: ${minus(after, before).length} opened, ${minus(before, after).length} resolved`);
        // Back to the estate as written, and a rescan, for the next case.
        expect((await fetch(`${sim.url}/_simulator/reset`, { method: "POST" })).status).toBe(200);
        await scanWith(t.db, sim, testConfig({ WI_ATLAS_INVENTORY_PATH: "direct" }));
        expect(await findingPairs(t)).toEqual(before);
      }
      // The cases move findings: a comparison of two empty lists would prove nothing.
      expect(tally.filter((x) => !x.endsWith(": 0 opened, 0 resolved")).length).toBeGreaterThan(list.length / 2);
      console.info(`${name}:\n  ${tally.join("\n  ")}`);
    }, 900_000);
  });
}

const DEMO_KEY = "key:common-batch@acme-prod.iam.gserviceaccount.com/74177534f46dd1d1fc13635d83481cb1ea6b429c";
const PROD = "acme-prod/asia-northeast1/prod";

checkAgainstRescan(
  "the demo estate",
  async () => ({ t: await createTestDatabase(), sim: await startSimulator({ estate: loadEstateFile("lib/simulator/estates/demo/estate.yaml") }) }),
  async () => [
    { title: "delete common-batch's live key (step 7)", changes: [{ type: "delete-key", subject: DEMO_KEY }] },
    { title: "disable the same key", changes: [{ type: "disable-key", subject: DEMO_KEY }] },
    { title: "delete prod's legacy pool (step 8)", changes: [{ type: "delete-nodepool", subject: `nodepool:${PROD}/default-pool` }] },
    { title: "delete legacy-batch's only pool (a bare pod there goes with it)", changes: [{ type: "delete-nodepool", subject: "nodepool:acme-legacy/asia-northeast1-b/legacy-batch/default-pool" }] },
    { title: "set prod's legacy pool to GKE_METADATA", changes: [{ type: "set-nodepool-metadata", subject: `nodepool:${PROD}/default-pool`, mode: "GKE_METADATA" }] },
    { title: "delete billing's key Secret", changes: [{ type: "delete-secret", subject: `secret:${PROD}/billing/billing-gcp-key` }] },
    { title: "annotate billing/invoice-api (the missing half of its link)", changes: [{ type: "annotate-ksa", subject: `ksa:${PROD}/billing/invoice-api`, gsa: "billing@acme-prod.iam.gserviceaccount.com" }] },
    { title: "remove billing's binding of invoice-api", changes: [{ type: "remove-binding", subject: "gsa:billing@acme-prod.iam.gserviceaccount.com", member: "serviceAccount:acme-prod.svc.id.goog[billing/invoice-api]" }] },
    { title: "move frontend to the GKE-metadata pool (step 4)", changes: [{ type: "move-workload", subject: `workload:${PROD}/web/Deployment/frontend`, pool: `nodepool:${PROD}/wi-pool` }] },
    { title: "disable common-batch", changes: [{ type: "disable-gsa", subject: "gsa:common-batch@acme-prod.iam.gserviceaccount.com" }] },
  ],
);

let orgS: TestDatabase;
checkAgainstRescan(
  "org-s",
  async () => {
    orgS = await createTestDatabase();
    return { t: orgS, sim: await startSimulator({ estate: generateEstate("org-s", { seed: "1" }) }) };
  },
  async () => {
    const q = async (sql: string) => (await orgS.db.pool.query<{ s: string; m?: string }>(sql)).rows[0];
    const key = await q(
      `select k.subject as s from inventory_object k where k.kind = 'key' and k.valid_to is null and exists (select 1 from inventory_object s, jsonb_array_elements(s.data->'credentials') c where s.kind = 'secret' and s.valid_to is null and c->>'keyId' = k.data->>'keyId') order by k.subject limit 1`,
    );
    const pool = await q(`select subject as s from inventory_object where kind = 'nodepool' and valid_to is null and not (data->>'servesGkeMetadata')::boolean order by subject limit 1`);
    const binding = await q(`select subject as s, data->>'member' as m from analysis_object where kind = 'binding' and valid_to is null and state = 'ok' and subject like 'gsa:%' and data->>'role' = '${WORKLOAD_IDENTITY_USER}' order by key limit 1`);
    const secret = await q(`select subject as s from inventory_object where kind = 'secret' and valid_to is null and jsonb_array_length(data->'credentials') > 0 order by subject limit 1`);
    return [
      { title: `delete a key held in a Secret (${key.s})`, changes: [{ type: "delete-key", subject: key.s }] },
      { title: `delete a legacy pool (${pool.s})`, changes: [{ type: "delete-nodepool", subject: pool.s }] },
      { title: `remove a working binding (${binding.s} ${binding.m})`, changes: [{ type: "remove-binding", subject: binding.s, member: binding.m }] },
      { title: `delete a key Secret (${secret.s})`, changes: [{ type: "delete-secret", subject: secret.s }] },
    ];
  },
);
