import { afterAll, beforeAll, describe, expect, it } from "vitest";
import https from "node:https";
import { loadEstateFile, parseEstateText, type LoadedEstate } from "./load-estate";
import { generateEstate } from "./generate-estate";
import { ROUTES, startSimulator, type Simulator } from "./server";
import { K8S_RESOURCES, type K8sResource, type World } from "./world";
import { DEMO_ESTATE } from "../config";
import { googleApiSchemas, googleMethodKey, walkGoogle, walkK8s, type Infidelity } from "../testing/api-schemas";

/*
 * Field fidelity: every field name the simulator serves must exist in the published type of the
 * API it imitates — the googleapis package's `Schema$…` declarations (generated from Google's
 * discovery documents) for Google, client-node's OpenAPI models for Kubernetes — with the same JSON
 * type. Every route is walked over HTTP on the demo estate and on a generated org-s.
 */

/**
 * The Google APIs the simulator imitates and the googleapis declarations their answers must fit.
 * One line per API version; `methods` names the googleapis method of paths whose names do not
 * follow the resource-oriented pattern (see googleMethodKey).
 */
const GOOGLE_APIS: { api: string; version: string; file: string; methods?: [RegExp, string][] }[] = [
  { api: "crm", version: "v1", file: "cloudresourcemanager/v1" },
  { api: "crm", version: "v2", file: "cloudresourcemanager/v2" },
  { api: "crm", version: "v3", file: "cloudresourcemanager/v3" },
  { api: "iam", version: "v1", file: "iam/v1" },
  {
    api: "iam",
    version: "v2",
    file: "iam/v2",
    methods: [
      [/^\/v2\/policies\/[^/]+\/denypolicies$/, "Policies$Listpolicies"],
      [/^\/v2\/policies\/[^/]+\/denypolicies\/[^/]+$/, "Policies$Get"],
    ],
  },
  { api: "container", version: "v1", file: "container/v1" },
  { api: "policyanalyzer", version: "v1", file: "policyanalyzer/v1" },
  {
    api: "cloudasset",
    version: "v1",
    file: "cloudasset/v1",
    methods: [
      [/:searchAllIamPolicies$/, "V1$Searchalliampolicies"],
      [/:searchAllResources$/, "V1$Searchallresources"],
    ],
  },
  { api: "gkehub", version: "v1", file: "gkehub/v1" },
  { api: "pubsub", version: "v1", file: "pubsub/v1" },
];

type Req = { method: "GET" | "POST" | "PUT" | "DELETE"; path: string; query?: Record<string, string>; body?: unknown };
const get = (path: string, query?: Record<string, string>): Req => ({ method: "GET", path, query });
const V3 = { options: { requestedPolicyVersion: 3 } };
const post = (path: string, body: unknown = V3): Req => ({ method: "POST", path, body });

/** The requests walked, per family of routes; a new family of routes adds one line here. */
const GOOGLE_REQUESTS: ((w: World) => Req[])[] = [
  // Resource Manager: projects, folders, the organization, their policies.
  (w) => [
    get("/v1/projects"),
    get("/v3/projects:search"),
    ...w.projects.flatMap((p) => [get(`/v1/projects/${p.projectId}`), get(`/v3/projects/${p.projectNumber}`), post(`/v1/projects/${p.projectId}:getIamPolicy`), post(`/v3/projects/${p.projectId}:getIamPolicy`)]),
  ],
  (w) => {
    const org = w.estate.organization?.name;
    return [
      ...(org ? [get(`/v3/${org}`), post(`/v3/${org}:getIamPolicy`), get("/v3/projects", { parent: org }), get("/v3/folders", { parent: org })] : []),
      ...w.estate.folders.flatMap((f) => [get(`/v3/${f.name}`), post(`/v3/${f.name}:getIamPolicy`), get("/v3/folders", { parent: f.name }), get("/v3/projects", { parent: f.name })]),
    ];
  },
  // IAM: accounts, their policies, keys.
  (w) => [
    ...w.projects.map((p) => get(`/v1/projects/${p.projectId}/serviceAccounts`, { pageSize: "100" })),
    ...w.serviceAccounts.flatMap((s) => [
      get(`/v1/${s.json.name}`),
      post(`/v1/${s.json.name}:getIamPolicy`),
      get(`/v1/${s.json.name}/keys`),
      ...s.keys.map((k) => get(`/v1/${k.name}`)),
    ]),
  ],
  // container: clusters and node pools, by location and by zone.
  (w) => [
    ...w.projects.flatMap((p) => [get(`/v1/projects/${p.projectId}/locations/-/clusters`), get(`/v1/projects/${p.projectId}/zones/-/clusters`)]),
    ...w.clusters.flatMap((c) => {
      const base = `/v1/projects/${c.project.projectId}/locations/${c.location}/clusters/${c.name}`;
      return [get(base), get(`${base}/nodePools`), ...(c.json.nodePools as { name: string }[]).map((p) => get(`${base}/nodePools/${p.name}`))];
    }),
  ],
  // Policy Analyzer: last authentication of accounts and keys.
  (w) =>
    w.projects.flatMap((p) =>
      ["serviceAccountLastAuthentication", "serviceAccountKeyLastAuthentication"].map((t) => get(`/v1/projects/${p.projectId}/locations/global/activityTypes/${t}/activities:query`, { pageSize: "1000" })),
    ),
  // IAM: custom roles (lists in both views, deleted ones, each role) and IAM v2 deny policies (list, then each).
  (w) => {
    const org = w.estate.organization;
    const parents = [...(org ? [{ name: org.name, roles: org.customRoles ?? [] }] : []), ...w.projects.map((p) => ({ name: `projects/${p.projectId}`, roles: p.customRoles ?? [] }))];
    const attached = [
      ...(org ? [{ at: `cloudresourcemanager.googleapis.com%2F${org.name.replace("/", "%2F")}`, ids: (org.denyPolicies ?? []).map((d) => d.policyId) }] : []),
      ...w.estate.folders.map((f) => ({ at: `cloudresourcemanager.googleapis.com%2F${f.name.replace("/", "%2F")}`, ids: (f.denyPolicies ?? []).map((d) => d.policyId) })),
      ...w.projects.map((p) => ({ at: `cloudresourcemanager.googleapis.com%2Fprojects%2F${p.projectNumber}`, ids: (p.denyPolicies ?? []).map((d) => d.policyId) })),
    ];
    return [
      ...parents.flatMap((p) => [get(`/v1/${p.name}/roles`), get(`/v1/${p.name}/roles`, { view: "FULL", showDeleted: "true" }), ...p.roles.map((r) => get(`/v1/${r.name}`))]),
      ...attached.flatMap((a) => [get(`/v2/policies/${a.at}/denypolicies`), ...a.ids.map((id) => get(`/v2/policies/${a.at}/denypolicies/${id}`))]),
    ];
  },
  // GKE Hub: fleet memberships.
  (w) => w.projects.flatMap((p) => [get(`/v1/projects/${p.projectId}/locations/-/memberships`), ...p.memberships.map((m) => get(`/v1/${m.name}`))]),
  // Cloud Asset Inventory: policy and resource search.
  (w) => {
    const scopes = [...(w.estate.organization ? [w.estate.organization.name] : []), ...w.projects.map((p) => `projects/${p.projectId}`)];
    return scopes.flatMap((s) => [get(`/v1/${s}:searchAllIamPolicies`, { pageSize: "500" }), get(`/v1/${s}:searchAllResources`, { pageSize: "500", readMask: "*" })]);
  },
];

/**
 * The writes the fixes make (issue 12), asked one after another once every read above has been
 * answered (they change the world): policies set at every level, a key and an account disabled,
 * enabled and deleted, an account created, a cluster's workload pool set, a node pool created,
 * updated and deleted — and, after them, the Operation of the last container write.
 */
function googleWrites(w: World): Req[] {
  const out: Req[] = [];
  const setPolicy = (path: string, bindings: unknown[] | undefined) => out.push({ method: "POST", path: `${path}:setIamPolicy`, body: { policy: { version: 3, bindings: bindings ?? [] } } });
  const org = w.estate.organization;
  if (org) out.push(post(`/v1/${org.name}:getIamPolicy`)), setPolicy(`/v1/${org.name}`, org.iamPolicy?.bindings), setPolicy(`/v3/${org.name}`, org.iamPolicy?.bindings);
  for (const f of w.estate.folders.slice(0, 1)) out.push(post(`/v2/${f.name}:getIamPolicy`)), setPolicy(`/v2/${f.name}`, f.iamPolicy?.bindings), setPolicy(`/v3/${f.name}`, f.iamPolicy?.bindings);
  const p = w.projects[0];
  setPolicy(`/v1/projects/${p.projectId}`, p.iamPolicy?.bindings);
  setPolicy(`/v3/projects/${p.projectNumber}`, p.iamPolicy?.bindings);
  const keyed = w.serviceAccounts.find((s) => s.keys.some((k) => k.keyType === "USER_MANAGED"));
  const key = keyed?.keys.find((k) => k.keyType === "USER_MANAGED");
  if (keyed && key) {
    setPolicy(`/v1/${keyed.json.name}`, keyed.policy.bindings);
    out.push(post(`/v1/${key.name}:disable`, {}), post(`/v1/${key.name}:enable`, {}), post(`/v1/${keyed.json.name}:disable`, {}), post(`/v1/${keyed.json.name}:enable`, {}));
    out.push({ method: "DELETE", path: `/v1/${key.name}` });
  }
  const doomed = w.serviceAccounts.find((s) => s !== keyed && s.project === p) ?? w.serviceAccounts.find((s) => s !== keyed);
  if (doomed) out.push({ method: "DELETE", path: `/v1/${doomed.json.name}` });
  out.push(post(`/v1/projects/${p.projectId}/serviceAccounts`, { accountId: "fidelity-check", serviceAccount: { displayName: "fidelity", description: "made by the field-fidelity test" } }));
  const c = w.clusters.find((x) => !(x.json.autopilot as { enabled?: boolean } | undefined)?.enabled);
  if (c) {
    const base = `/v1/projects/${c.project.projectId}/locations/${c.location}/clusters/${c.name}`;
    out.push({ method: "PUT", path: base, body: { update: { desiredWorkloadIdentityConfig: { workloadPool: `${c.project.projectId}.svc.id.goog` } } } });
    out.push(post(`${base}/nodePools`, { nodePool: { name: "fidelity-pool", initialNodeCount: 1, config: { machineType: "e2-standard-2" } } }));
    out.push({ method: "PUT", path: `${base}/nodePools/fidelity-pool`, body: { workloadMetadataConfig: { mode: "GKE_METADATA" } } });
    out.push({ method: "DELETE", path: `${base}/nodePools/fidelity-pool` });
  }
  const topic = w.projects.flatMap((x) => x.pubsubTopics ?? [])[0];
  if (topic) out.push(post(`/v1/${topic.name}:publish`, { messages: [{ data: Buffer.from("{}").toString("base64"), attributes: { event: "fidelity" } }] }));
  return out;
}

/** The googleapis method of a request: by its path, and for writes by its HTTP method (`PUT` updates, `DELETE` deletes, `POST` to a collection creates). */
function methodKey(req: Req): string {
  const key = googleMethodKey(req.path);
  if (req.method === "PUT") return key.replace(/\$Get$/, "$Update");
  if (req.method === "DELETE") return key.replace(/\$Get$/, "$Delete");
  if (req.method === "POST") return key.replace(/\$List$/, "$Create");
  return key;
}

const routeVersion = (r: (typeof ROUTES)[number]) => /^\^\\\/(v\d\w*)/.exec(r.pattern.source)?.[1];
const servedApis = new Set(ROUTES.map((r) => `${r.api} ${routeVersion(r)}`));
for (const a of GOOGLE_APIS) {
  if (!servedApis.has(`${a.api} ${a.version}`)) console.warn(`field-fidelity.test.ts: SKIPPING ${a.file}: the simulator serves no ${a.api} ${a.version} route yet.`);
}

type Answer = { req: Req; status: number; body: unknown; route?: (typeof ROUTES)[number] };

async function askGoogle(sim: Simulator, reqs: Req[], parallel = 8): Promise<Answer[]> {
  const out: Answer[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < reqs.length) {
        const req = reqs[next++];
        const url = new URL(sim.url + req.path);
        for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.set(k, v);
        const r = await fetch(url, {
          method: req.method,
          headers: { authorization: "Bearer t", "content-type": "application/json" },
          body: req.body === undefined ? undefined : JSON.stringify(req.body),
        });
        const decoded = decodeURIComponent(req.path);
        const route = ROUTES.find((x) => x.method === req.method && x.pattern.test(decoded));
        out.push({ req, status: r.status, body: await r.json(), route });
      }
    }),
  );
  return out;
}

type K8sAnswer = { path: string; type: string; status: number; body: unknown };

function httpsJson(agent: https.Agent, host: string, port: number, path: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    https
      .get({ host, port, path, agent, headers: { authorization: "Bearer t" } }, (res) => {
        let text = "";
        res.on("data", (d: Buffer) => (text += d.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      })
      .on("error", reject);
  });
}

/** Discovery, every resource listed across namespaces and in one, and a few gets, over each cluster's TLS endpoint. */
async function askK8s(sim: Simulator): Promise<K8sAnswer[]> {
  const out: K8sAnswer[] = [];
  for (const c of sim.world().clusters) {
    const agent = new https.Agent({ keepAlive: true, ca: Buffer.from((c.json.masterAuth as { clusterCaCertificate: string }).clusterCaCertificate, "base64") });
    const paths: [string, string][] = [
      ["/version", "VersionInfo"],
      ["/api", "V1APIVersions"],
      ["/apis", "V1APIGroupList"],
      ["/api/v1", "V1APIResourceList"],
    ];
    for (const g of new Set(Object.values(K8S_RESOURCES).map((d) => d.group))) {
      if (g) paths.push([`/apis/${g}`, "V1APIGroup"], [`/apis/${g}/v1`, "V1APIResourceList"]);
    }
    for (const [r, d] of Object.entries(K8S_RESOURCES)) {
      const base = d.group ? `/apis/${d.group}/v1` : "/api/v1";
      paths.push([`${base}/${r}`, `V1${d.kind}List`]);
      const objs = c.objects[r as K8sResource];
      const ns = (objs[0]?.metadata as { namespace?: string } | undefined)?.namespace;
      if (ns) paths.push([`${base}/namespaces/${ns}/${r}?limit=2`, `V1${d.kind}List`]);
      for (const o of objs.slice(0, 2)) {
        const md = o.metadata as { name: string; namespace?: string };
        paths.push([md.namespace ? `${base}/namespaces/${md.namespace}/${r}/${md.name}` : `${base}/${r}/${md.name}`, `V1${d.kind}`]);
      }
    }
    for (const [path, type] of paths) {
      const r = await httpsJson(agent, c.tls.address, sim.kubernetesPort, path);
      out.push({ path: `${c.name}${path}`, type, ...r });
    }
    agent.destroy();
  }
  return out;
}

/**
 * Shapes the demo and the generator leave out: the beta API's `nodeMetadata` (as Terraform's older
 * `node_metadata` writes it), an Autopilot cluster, disabled accounts and keys, a conditional
 * binding, a disabled API, every workload kind, Secrets from stringData, binary ConfigMaps.
 */
const SHAPES = `
now: "2026-11-29T00:00:00Z"
organization:
  name: organizations/555000000001
  displayName: shapes.example
  customRoles:
    - {name: organizations/555000000001/roles/wiLite, title: WI lite, description: getAccessToken only, includedPermissions: [iam.serviceAccounts.getAccessToken], stage: GA, etag: BwYbq1Xh9Ho=}
    - {name: organizations/555000000001/roles/oldMinter, includedPermissions: [iam.serviceAccounts.getAccessToken], stage: DISABLED, deleted: true}
  denyPolicies:
    - policyId: sandbox-no-tokens
      displayName: sandbox never mints tokens
      annotations: {owner: secops}
      rules:
        - description: namespace-wide, one exception
          denyRule:
            deniedPrincipals: ["principalSet://iam.googleapis.com/projects/555000000011/locations/global/workloadIdentityPools/shapes-prod.svc.id.goog/namespace/sandbox"]
            exceptionPrincipals: ["principal://iam.googleapis.com/projects/555000000011/locations/global/workloadIdentityPools/shapes-prod.svc.id.goog/subject/ns/sandbox/sa/ci"]
            deniedPermissions: ["iam.googleapis.com/serviceAccounts.*"]
            exceptionPermissions: ["iam.googleapis.com/serviceAccounts.get"]
            denialCondition: {title: prod only, description: tagged prod, expression: "resource.matchTag('555000000001/env', 'prod')"}
folders: [{name: folders/5001, displayName: apps}]
projects:
  - projectId: shapes-prod
    projectNumber: "555000000011"
    parent: folders/5001
    labels: {env: prod}
    iamPolicy:
      bindings:
        - {role: roles/viewer, members: ["group:devs@shapes.example"], condition: {title: office hours, expression: "request.time.getHours('Europe/Paris') < 18"}}
    serviceAccounts:
      - email: app@shapes-prod.iam.gserviceaccount.com
        displayName: app
        description: the web app
        lastAuthenticatedTime: "2026-11-27T07:00:00Z"
        iamPolicy:
          bindings: [{role: roles/iam.workloadIdentityUser, members: ["serviceAccount:shapes-prod.svc.id.goog[web/app]"]}]
        keys:
          - {keyId: "5555555555555555555555555555555555555555", validAfterTime: "2024-01-01T00:00:00Z", validBeforeTime: "9999-12-31T23:59:59Z", lastAuthenticatedTime: "2026-11-20T00:00:00Z"}
          - {keyId: "6666666666666666666666666666666666666666", validAfterTime: "2016-01-01T00:00:00Z", validBeforeTime: "2026-01-01T00:00:00Z", disabled: true}
      - {email: retired@shapes-prod.iam.gserviceaccount.com, disabled: true}
    memberships:
      - name: projects/shapes-prod/locations/europe-west1/memberships/std
        endpoint: {gkeCluster: {resourceLink: //container.googleapis.com/projects/shapes-prod/locations/europe-west1/clusters/std}}
        authority: {issuer: https://container.googleapis.com/v1/projects/shapes-prod/locations/europe-west1/clusters/std}
      - name: projects/shapes-prod/locations/global/memberships/payments-eks
        endpoint: {multiCloudCluster: {resourceLink: //eks.amazonaws.com/arn:aws:eks:eu-west-1:111122223333:cluster/payments}}
        authority: {issuer: https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE}
    resourcePolicies:
      - resource: //storage.googleapis.com/shapes-prod-invoices
        assetType: storage.googleapis.com/Bucket
        policy: {bindings: [{role: roles/storage.objectViewer, members: ["principal://iam.googleapis.com/projects/555000000011/locations/global/workloadIdentityPools/shapes-prod.svc.id.goog/subject/ns/web/sa/app"]}]}
    clusters:
      - cluster:
          name: std
          location: europe-west1
          workloadIdentityConfig: {workloadPool: shapes-prod.svc.id.goog}
          nodePools:
            - {name: beta, config: {workloadMetadataConfig: {nodeMetadata: GKE_METADATA_SERVER}}}
            - {name: concealed, config: {workloadMetadataConfig: {nodeMetadata: SECURE}}}
            - {name: wi, initialNodeCount: 2, config: {serviceAccount: app@shapes-prod.iam.gserviceaccount.com, machineType: n2-standard-4, labels: {team: web}, workloadMetadataConfig: {mode: GKE_METADATA}}}
        manifests:
          - {apiVersion: v1, kind: Namespace, metadata: {name: web, labels: {team: web}}}
          - {apiVersion: v1, kind: ServiceAccount, metadata: {name: app, namespace: web, annotations: {iam.gke.io/gcp-service-account: app@shapes-prod.iam.gserviceaccount.com}}, automountServiceAccountToken: false}
          - {apiVersion: v1, kind: Secret, metadata: {name: app-key, namespace: web}, type: Opaque, stringData: {note: hello}}
          - {apiVersion: v1, kind: ConfigMap, metadata: {name: assets, namespace: web}, binaryData: {logo.png: iVBORw0KGgo=}, immutable: true}
          - apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web, namespace: web, labels: {app: web}}
            spec:
              replicas: 2
              selector: {matchLabels: {app: web}}
              template:
                metadata: {labels: {app: web}}
                spec:
                  serviceAccountName: app
                  nodeSelector: {iam.gke.io/gke-metadata-server-enabled: "true"}
                  containers: [{name: web, image: nginx:1.27, ports: [{containerPort: 80}], env: [{name: GOOGLE_CLOUD_PROJECT, value: shapes-prod}]}]
          - apiVersion: apps/v1
            kind: StatefulSet
            metadata: {name: db, namespace: web}
            spec: {replicas: 1, template: {metadata: {labels: {app: db}}, spec: {containers: [{name: db, image: postgres:17}]}}}
          - apiVersion: apps/v1
            kind: DaemonSet
            metadata: {name: agent, namespace: kube-system}
            spec: {template: {metadata: {labels: {app: agent}}, spec: {hostNetwork: true, containers: [{name: agent, image: fluent-bit:3}]}}}
          - apiVersion: batch/v1
            kind: CronJob
            metadata: {name: nightly, namespace: web}
            spec: {schedule: "0 3 * * *", jobTemplate: {spec: {template: {spec: {containers: [{name: run, image: busybox}]}}}}}
          - apiVersion: batch/v1
            kind: Job
            metadata: {name: migrate, namespace: web}
            spec: {template: {spec: {containers: [{name: run, image: busybox}]}}}
          - {apiVersion: v1, kind: Pod, metadata: {name: debug, namespace: web}, spec: {nodeSelector: {no: such-node}, containers: [{name: sh, image: busybox}]}}
      - cluster: {name: auto, location: europe-west4, autopilot: {enabled: true}}
  - projectId: shapes-legacy
    projectNumber: "555000000012"
    disabledApis: [policyanalyzer.googleapis.com]
    serviceAccounts:
      - {email: batch@shapes-legacy.iam.gserviceaccount.com}
    clusters:
      - cluster: {name: old, location: europe-west1-b, nodePools: [{name: default-pool, config: {workloadMetadataConfig: {nodeMetadata: EXPOSE}}}]}
`;

const ESTATES: [string, () => LoadedEstate][] = [
  ["the demo estate", () => loadEstateFile(DEMO_ESTATE)],
  ["a generated org-s", () => generateEstate("org-s", { seed: "1" })],
  ["an estate of the shapes the others leave out", () => parseEstateText(SHAPES, "shapes.yaml")],
];

/** Every route answered 200 on some estate: each route must be walked on at least one. */
const walked = new Set<(typeof ROUTES)[number]>();

describe.each(ESTATES)("field fidelity on %s", (_label, load) => {
  let sim: Simulator;
  let google: Answer[];
  let kube: K8sAnswer[];
  beforeAll(async () => {
    sim = await startSimulator({ estate: load(), latencyMs: 0 });
    google = await askGoogle(sim, GOOGLE_REQUESTS.flatMap((f) => f(sim.world())));
    const writes = await askGoogle(sim, googleWrites(sim.world()), 1);
    const op = writes.map((a) => (a.body as { selfLink?: string; operationType?: string }) ?? {}).filter((b) => b.operationType).pop();
    const polled = op?.selfLink ? await askGoogle(sim, [get(new URL(op.selfLink).pathname)], 1) : [];
    google.push(...writes, ...polled);
    kube = await askK8s(sim);
  }, 120_000);
  afterAll(async () => {
    await sim?.close();
  });

  it("asks only paths the simulator routes", () => {
    for (const a of google) if (a.status === 200 && a.route) walked.add(a.route);
    expect(google.filter((a) => !a.route).map((a) => a.req.path)).toEqual([]);
  });

  for (const a of GOOGLE_APIS) {
    it.skipIf(!servedApis.has(`${a.api} ${a.version}`))(`serves only fields that googleapis' ${a.file} Schema$ types declare`, () => {
      const api = googleApiSchemas(a.file);
      const mine = google.filter((x) => x.status === 200 && x.route?.api === a.api && routeVersion(x.route) === a.version);
      // Pub/Sub answers only where an estate declares topics (the demo does; generated estates do not).
      if (a.api === "pubsub" && !sim.world().projects.some((p) => p.pubsubTopics?.length)) return;
      expect(mine.length).toBeGreaterThan(0);
      const out: Infidelity[] = [];
      for (const x of mine) {
        const key = a.methods?.find(([re]) => re.test(x.req.path))?.[1] ?? methodKey(x.req);
        const schema = api.responses.get(key);
        if (!schema) {
          out.push(`${x.req.method} ${x.req.path}: no googleapis ${a.file} method ${key}`);
          continue;
        }
        walkGoogle(api, x.body, { kind: "ref", name: schema }, `${x.req.method} ${x.req.path} (${schema})`, out);
      }
      expect(out).toEqual([]);
    });
  }

  it("serves only fields that client-node's Kubernetes models declare, discovery and error Status bodies included", () => {
    const out: Infidelity[] = [];
    for (const k of kube) walkK8s(k.body, k.status === 200 ? k.type : "V1Status", `${k.path} (${k.status === 200 ? k.type : "V1Status"})`, out);
    expect(out).toEqual([]);
    expect(kube.filter((k) => k.status === 200).length).toBeGreaterThan(kube.length / 2);
  });
});

describe("field fidelity, over every estate", () => {
  it("walked every Google API route the simulator serves, each answered 200 on some estate", () => {
    const unwalked = ROUTES.filter((r) => !walked.has(r)).map((r) => `${r.method} ${r.pattern.source}`);
    expect(unwalked, "routes with no 200 answer among GOOGLE_REQUESTS: add requests for them").toEqual([]);
  });
});
