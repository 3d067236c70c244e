/**
 * deploy/kubernetes rendered with the real `kubectl kustomize`, checked for what the deploy promises,
 * then scanned by wi-atlas itself together with what deploy/terraform declares ("eat our own
 * cooking"): wi-atlas must find nothing wrong with its own identities and call its workloads migrated.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { validateEstate } from "../../lib/simulator/load-estate";
import { analyzeLoadedEstate, findingLines, workloadLines } from "../../lib/analysis/testing";
import { readTerraform, instances, type TfConfig } from "../../lib/testing/terraform";
import { CLUSTER_ROLE_YAML } from "../../lib/scan/permissions";

const DIR = path.resolve(import.meta.dirname);
const hasKubectl = !spawnSync("kubectl", ["version", "--client"], { encoding: "utf8" }).error;
if (!hasKubectl) console.warn("\n\n*** SKIPPED: kubectl is not installed here; deploy/kubernetes was NOT rendered or self-scanned ***\n\n");

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; annotations?: Record<string, string>; labels?: Record<string, string> }; spec?: any; data?: Record<string, string> };

function render(overlay: string): Obj[] {
  const out = execFileSync("kubectl", ["kustomize", path.join(DIR, overlay)], { encoding: "utf8" });
  return YAML.parseAllDocuments(out).map((d) => d.toJS() as Obj);
}
const find = (objs: Obj[], kind: string, name: string) => {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`${kind}/${name} not rendered`);
  return o;
};

describe.skipIf(!hasKubectl)("deploy/kubernetes (rendered with kubectl kustomize)", () => {
  let objs: Obj[];
  beforeAll(() => {
    objs = render("overlays/iap");
  });

  it("renders the IAP overlay: every object in the wi-atlas namespace, the kinds the deploy promises", () => {
    expect(objs.map((o) => `${o.kind}/${o.metadata.name.replace(/-[a-z0-9]{10}$/, "")}`).sort()).toEqual([
      "BackendConfig/wi-atlas-web",
      "ConfigMap/wi-atlas-config",
      "ConfigMap/wi-atlas-web-config",
      "Deployment/wi-atlas-scanner",
      "Deployment/wi-atlas-web",
      "FrontendConfig/wi-atlas",
      "Ingress/wi-atlas",
      "ManagedCertificate/wi-atlas",
      "Namespace/wi-atlas",
      "NetworkPolicy/default-deny",
      "NetworkPolicy/wi-atlas-egress-database",
      "NetworkPolicy/wi-atlas-egress-dns-metadata",
      "NetworkPolicy/wi-atlas-scanner-egress",
      "NetworkPolicy/wi-atlas-web-egress-google",
      "NetworkPolicy/wi-atlas-web-ingress",
      "PodDisruptionBudget/wi-atlas-web",
      "Service/wi-atlas-web",
      "ServiceAccount/wi-atlas-scanner",
      "ServiceAccount/wi-atlas-web",
    ]);
    expect(objs.filter((o) => o.kind !== "Namespace" && o.metadata.namespace !== "wi-atlas").map((o) => o.metadata.name)).toEqual([]);
  });

  it("runs two web replicas and one scanner with the image's contract: /app, node web.js / node scanner.js, port 3000", () => {
    const web = find(objs, "Deployment", "wi-atlas-web").spec;
    const scanner = find(objs, "Deployment", "wi-atlas-scanner").spec;
    expect([web.replicas, scanner.replicas]).toEqual([2, 1]);
    const w = web.template.spec.containers[0];
    const s = scanner.template.spec.containers[0];
    expect([w.workingDir, w.command, w.ports[0].containerPort, w.image]).toEqual(["/app", ["node", "web.js"], 3000, "asia-northeast1-docker.pkg.dev/acme-wi-atlas/wi-atlas/wi-atlas:1.0.0"]);
    expect([s.workingDir, s.command, s.image]).toEqual(["/app", ["node", "scanner.js"], w.image]);
    const env = Object.fromEntries(w.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
    expect(env).toMatchObject({ PORT: "3000", WI_ATLAS_LISTEN: "0.0.0.0", WI_ATLAS_AUTH: "iap" });
    expect(env.DATABASE_URL).toEqual({ secretKeyRef: { name: "wi-atlas-database", key: "DATABASE_URL_WEB" } });
    expect(env.WI_ATLAS_IAP_AUDIENCE.configMapKeyRef.name).toMatch(/^wi-atlas-web-config-/);
    expect(w.readinessProbe.httpGet).toEqual({ path: "/api/health", port: "http" });
    expect(w.livenessProbe.httpGet).toEqual({ path: "/api/health", port: "http" });
    const config = objs.find((o) => o.kind === "ConfigMap" && o.metadata.name.startsWith("wi-atlas-config-"))!;
    expect(config.data).toMatchObject({ WI_ATLAS_ORGANIZATION: "620315948271", WI_ATLAS_READ_SECRETS: "true" });
    // Only the scanner's pod runs as the scanner; the web never does.
    expect([web.template.spec.serviceAccountName, scanner.template.spec.serviceAccountName]).toEqual(["wi-atlas-web", "wi-atlas-scanner"]);
  });

  it("hardens every container (non-root, read-only root, no capabilities, RuntimeDefault seccomp) and pins pods to the GKE metadata pool", () => {
    for (const name of ["wi-atlas-web", "wi-atlas-scanner"]) {
      const pod = find(objs, "Deployment", name).spec.template.spec;
      expect(pod.nodeSelector).toEqual({ "iam.gke.io/gke-metadata-server-enabled": "true" });
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
      for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) {
        expect(c.securityContext, `${name}/${c.name}`).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
        expect(c.resources.requests, `${name}/${c.name}`).toBeDefined();
        expect(c.resources.limits.memory, `${name}/${c.name}`).toBeDefined();
      }
      expect(pod.containers[0].volumeMounts.map((m: any) => m.mountPath)).toEqual(name === "wi-atlas-web" ? ["/tmp", "/app/.next/cache"] : ["/tmp"]);
      expect(pod.volumes.every((v: any) => v.emptyDir)).toBe(true);
    }
    expect(find(objs, "Namespace", "wi-atlas").metadata.labels).toMatchObject({ "pod-security.kubernetes.io/enforce": "restricted" });
    expect(find(objs, "PodDisruptionBudget", "wi-atlas-web").spec).toEqual({ minAvailable: 1, selector: { matchLabels: { "app.kubernetes.io/name": "wi-atlas-web" } } });
  });

  it("lets the web be reached only from Google's load balancer and health-check ranges, on its port", () => {
    const np = find(objs, "NetworkPolicy", "wi-atlas-web-ingress").spec;
    expect(np.ingress).toEqual([{ from: [{ ipBlock: { cidr: "130.211.0.0/22" } }, { ipBlock: { cidr: "35.191.0.0/16" } }], ports: [{ protocol: "TCP", port: 3000 }] }]);
    expect(find(objs, "NetworkPolicy", "default-deny").spec).toEqual({ podSelector: {}, policyTypes: ["Ingress", "Egress"] });
    expect(find(objs, "NetworkPolicy", "wi-atlas-egress-database").spec.egress).toEqual([{ to: [{ ipBlock: { cidr: "10.20.0.3/32" } }], ports: [{ protocol: "TCP", port: 3307 }] }]);
    // No policy other than the two ingress ones admits anything in.
    expect(objs.filter((o) => o.kind === "NetworkPolicy" && o.spec.ingress).map((o) => o.metadata.name)).toEqual(["wi-atlas-web-ingress"]);
  });

  it("puts IAP and the /api/health check on the web's backend, behind a managed certificate on HTTPS only", () => {
    expect(find(objs, "BackendConfig", "wi-atlas-web").spec).toMatchObject({ iap: { enabled: true }, healthCheck: { type: "HTTP", requestPath: "/api/health", port: 3000 } });
    expect(find(objs, "Service", "wi-atlas-web").metadata.annotations).toEqual({ "cloud.google.com/neg": '{"ingress": true}', "cloud.google.com/backend-config": '{"default": "wi-atlas-web"}' });
    expect(find(objs, "Ingress", "wi-atlas").metadata.annotations).toMatchObject({
      "kubernetes.io/ingress.allow-http": "false",
      "networking.gke.io/managed-certificates": "wi-atlas",
      "kubernetes.io/ingress.global-static-ip-name": "wi-atlas",
    });
  });

  it("the sharded overlay adds an hourly Indexed Job of scan shards that rejoin their run, and turns the scanner's own schedule off", () => {
    const sharded = render("overlays/iap-sharded");
    // Everything of the IAP overlay, plus the CronJob.
    const names = (list: Obj[]) => list.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    expect(names(sharded)).toEqual([...names(objs), "CronJob/wi-atlas-scan"].sort());
    const cron = find(sharded, "CronJob", "wi-atlas-scan");
    expect(cron.metadata.namespace).toBe("wi-atlas");
    expect([cron.spec.schedule, cron.spec.concurrencyPolicy]).toEqual(["0 * * * *", "Forbid"]);
    const job = cron.spec.jobTemplate.spec;
    expect([job.completionMode, job.completions, job.parallelism, job.backoffLimitPerIndex]).toEqual(["Indexed", 3, 3, 2]);
    const pod = job.template.spec;
    expect(pod.restartPolicy).toBe("Never");
    expect(pod.serviceAccountName).toBe("wi-atlas-scanner");
    expect(pod.nodeSelector).toEqual({ "iam.gke.io/gke-metadata-server-enabled": "true" });
    const c = pod.containers[0];
    expect([c.workingDir, c.command, c.image]).toEqual(["/app", ["node", "--max-old-space-size=768", "scan.js"], "asia-northeast1-docker.pkg.dev/acme-wi-atlas/wi-atlas/wi-atlas:1.0.0"]);
    const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
    // Kubernetes gives each pod its index (JOB_COMPLETION_INDEX), not the count: the count must match completions.
    expect(Number(env.WI_ATLAS_SCAN_SHARDS)).toBe(job.completions);
    expect(env.WI_ATLAS_SCAN_RUN_KEY).toEqual({ fieldRef: { fieldPath: "metadata.labels['batch.kubernetes.io/controller-uid']" } });
    expect(env.DATABASE_URL).toEqual({ secretKeyRef: { name: "wi-atlas-database", key: "DATABASE_URL_SCANNER" } });
    expect(c.envFrom[0].configMapRef.name).toMatch(/^wi-atlas-config-/);
    // Exit codes a retry cannot change fail the index; a dying shard is retried.
    expect(job.podFailurePolicy.rules.find((r: any) => r.action === "FailIndex").onExitCodes.values).toEqual([2, 64, 75, 78]);
    for (const x of [...pod.containers, ...pod.initContainers]) {
      expect(x.securityContext, x.name).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
      expect(x.resources.limits.memory, x.name).toBeDefined();
    }
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    const scanner = find(sharded, "Deployment", "wi-atlas-scanner").spec.template.spec.containers[0];
    expect(scanner.env).toContainEqual({ name: "WI_ATLAS_DISABLE_SCHEDULER", value: "1" });
  });

  it("keeps no key and no secret value in the manifests: no Secret object, no key file, no GOOGLE_APPLICATION_CREDENTIALS", () => {
    expect(objs.filter((o) => o.kind === "Secret")).toEqual([]);
    expect(JSON.stringify(objs)).not.toMatch(/GOOGLE_APPLICATION_CREDENTIALS|private_key|BEGIN [A-Z ]*PRIVATE KEY/);
  });

  it("ships the optional read-only ClusterRole exactly as the Coverage page shows it", () => {
    const text = readFileSync(path.join(DIR, "optional/rbac-read-only.yaml"), "utf8");
    expect(text.replace(/^(#.*\n)+/, "")).toBe(CLUSTER_ROLE_YAML);
  });
});

/** The estate a platform team would have after deploying wi-atlas: Terraform's objects + the rendered manifests. */
function selfEstate(tf: TfConfig, manifests: Obj[]) {
  const project = "acme-wi-atlas";
  const org = "620315948271";
  const vars = { project_id: project, organization_id: org, network: "projects/acme-network/global/networks/shared-vpc", iap_access_members: ["group:platform-team@acme.example"] };
  const nodeSa = `gke-nodes@${project}.iam.gserviceaccount.com`;
  const saBindings = (address: string) => instances(tf, vars, address);
  const serviceAccounts = [...tf.resources.keys()]
    .filter((a) => a.startsWith("google_service_account."))
    .map((a) => {
      const [sa] = instances(tf, vars, a);
      const email = `${sa.account_id}@${sa.project}.iam.gserviceaccount.com`;
      const name = `projects/${project}/serviceAccounts/${email}`;
      const bindings = [...tf.resources.keys()]
        .filter((b) => b.startsWith("google_service_account_iam_member."))
        .flatMap(saBindings)
        .filter((b) => b.service_account_id === name)
        .map((b) => ({ role: b.role as string, members: [b.member as string] }));
      return { email, displayName: sa.display_name, iamPolicy: { bindings } };
    });
  const [role] = instances(tf, vars, "google_organization_iam_custom_role.scanner");
  const grants = (prefix: string) =>
    [...tf.resources.keys()].filter((a) => a.startsWith(prefix)).flatMap((a) => instances(tf, vars, a)).map((b) => ({ role: b.role as string, members: [b.member as string] }));
  const database = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "wi-atlas-database", namespace: "wi-atlas" },
    // What the README has the user create from `terraform output database_urls`: no password in it.
    stringData: {
      DATABASE_URL_WEB: `postgresql://wi-atlas-web%40${project}.iam@127.0.0.1:5432/wi_atlas?options=-c%20role%3Dwi_atlas_owner`,
      DATABASE_URL_SCANNER: `postgresql://wi-atlas-scanner%40${project}.iam@127.0.0.1:5432/wi_atlas?options=-c%20role%3Dwi_atlas_owner`,
    },
  };
  return {
    now: "2026-11-29T00:00:00Z",
    organization: {
      name: `organizations/${org}`,
      displayName: "acme.example",
      customRoles: [{ name: `organizations/${role.org_id}/roles/${role.role_id}`, title: role.title, includedPermissions: role.permissions, stage: role.stage }],
      iamPolicy: { bindings: grants("google_organization_iam_member.") },
    },
    projects: [
      {
        projectId: project,
        projectNumber: "412345678901",
        iamPolicy: {
          bindings: [
            ...grants("google_project_iam_member."),
            // The cluster's own node account, as GKE's hardening guide gives it.
            { role: "roles/container.defaultNodeServiceAccount", members: [`serviceAccount:${nodeSa}`] },
          ],
        },
        serviceAccounts: [...serviceAccounts, { email: nodeSa, displayName: "GKE nodes (least privilege)" }],
        clusters: [
          {
            cluster: {
              name: "ops",
              location: "asia-northeast1",
              workloadIdentityConfig: { workloadPool: `${project}.svc.id.goog` },
              nodePools: [{ name: "wi-pool", initialNodeCount: 1, config: { serviceAccount: nodeSa, machineType: "e2-standard-4", workloadMetadataConfig: { mode: "GKE_METADATA" } } }],
            },
            manifests: [...manifests, database],
          },
        ],
      },
    ],
  };
}

describe.skipIf(!hasKubectl)("wi-atlas scanning its own deployment (eat our own cooking)", () => {
  it("finds nothing wrong with its own GSAs, KSAs and workloads, and reports both workloads migrated", async () => {
    const tf = await readTerraform(path.resolve(DIR, "../terraform"));
    const estate = validateEstate(selfEstate(tf, render("overlays/iap")), "self-scan", DIR);
    const r = await analyzeLoadedEstate(estate);
    expect(findingLines(r)).toEqual([]);
    expect(workloadLines(r)).toEqual([
      "workload:acme-wi-atlas/asia-northeast1/ops/wi-atlas/Deployment/wi-atlas-scanner | wi-atlas-scanner@acme-wi-atlas.iam.gserviceaccount.com | workload-identity | migrated",
      "workload:acme-wi-atlas/asia-northeast1/ops/wi-atlas/Deployment/wi-atlas-web | wi-atlas-web@acme-wi-atlas.iam.gserviceaccount.com | workload-identity | migrated",
    ]);
  });
});
