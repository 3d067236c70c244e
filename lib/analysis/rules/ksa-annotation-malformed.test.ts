import { beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { analyzeEstate, findingLines } from "../testing";
import type { AnalysisResult } from "../run-analysis";

const RULE = "ksa-annotation-malformed";
const C = "proj-a/asia-northeast1-a/prod";
const KEY = "iam.gke.io/gcp-service-account";
const WEB_API = "web-api@proj-a.iam.gserviceaccount.com";

const ksa = (name: string, meta: { annotation?: string; label?: string }) => ({
  apiVersion: "v1",
  kind: "ServiceAccount",
  metadata: {
    name,
    namespace: "web",
    ...(meta.annotation !== undefined ? { annotations: { [KEY]: meta.annotation } } : {}),
    ...(meta.label !== undefined ? { labels: { [KEY]: meta.label } } : {}),
  },
});

/**
 * KSAs in namespace web, each with the annotation written a different way. The broken ones: stray
 * spaces, a trailing newline (a YAML `|` block), upper case, literal quotes, an address cut short,
 * and the key set as a label. (A label value cannot hold an email — Kubernetes refuses `@` in label
 * values — so the label carries what a label can: the account id.) The valid ones: a plain GSA email,
 * the Compute Engine default account `PROJECT_NUMBER-compute@developer.gserviceaccount.com`, the App
 * Engine default account `PROJECT_ID@appspot.gserviceaccount.com`, and a valid annotation beside a
 * stray label.
 */
const ESTATE = YAML.stringify({
  now: "2026-11-29T00:00:00Z",
  organization: { name: "organizations/111111111111", displayName: "example.test" },
  projects: [
    {
      projectId: "proj-a",
      projectNumber: "100000000001",
      serviceAccounts: [{ email: WEB_API }, { email: "100000000001-compute@developer.gserviceaccount.com" }, { email: "proj-a@appspot.gserviceaccount.com" }],
      clusters: [
        {
          cluster: {
            name: "prod",
            location: "asia-northeast1-a",
            workloadIdentityConfig: { workloadPool: "proj-a.svc.id.goog" },
            nodePools: [{ name: "wi-pool", initialNodeCount: 1, config: { workloadMetadataConfig: { mode: "GKE_METADATA" } } }],
          },
          manifests: [
            ksa("spaces", { annotation: ` ${WEB_API} ` }),
            ksa("newline", { annotation: `${WEB_API}\n` }),
            ksa("upper", { annotation: "Web-API@proj-a.iam.gserviceaccount.com" }),
            ksa("quoted", { annotation: `"${WEB_API}"` }),
            ksa("truncated", { annotation: "web-api@proj-a.iam.gserviceaccount" }),
            ksa("labelled", { label: "web-api" }),
            ksa("valid", { annotation: WEB_API }),
            ksa("compute", { annotation: "100000000001-compute@developer.gserviceaccount.com" }),
            ksa("appspot", { annotation: "proj-a@appspot.gserviceaccount.com" }),
            ksa("both", { annotation: WEB_API, label: "web-api" }),
          ],
        },
      ],
    },
  ],
});

describe("ksa-annotation-malformed", () => {
  let r: AnalysisResult;
  beforeAll(async () => {
    r = await analyzeEstate(ESTATE);
  });
  const finding = (name: string) => r.findings.find((f) => f.rule === RULE && f.subject === `ksa:${C}/web/${name}`)!;
  const manifestFix = (name: string, email: string) => ({
    kind: "kubernetes-yaml",
    title: `KSA web/${name} annotated with ${email}`,
    content: `${email === "GSA_EMAIL" ? "# Not proven by wi-atlas's tests: the annotation names no account wi-atlas can recognise: which one is yours to choose (GSA_EMAIL).\n" : ""}apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: ${name}\n  namespace: web\n  annotations:\n    ${KEY}: ${email}\n`,
  });

  it("fires on spaces, a newline, upper case, quotes, a truncated address and a label; valid emails, default compute and App Engine accounts do not fire", () => {
    expect(findingLines(r, RULE)).toEqual(
      ["labelled", "newline", "quoted", "spaces", "truncated", "upper"].map((n) => `ksa-annotation-malformed ksa:${C}/web/${n} open`),
    );
  });

  it("quotes the value exactly as written and proposes the email it was meant to be", () => {
    const f = finding("spaces");
    expect(f.severity).toBe("medium");
    expect(f.message).toBe(`web/spaces has ${KEY}: " ${WEB_API} ", which is not a service account email as written.`);
    expect(f.evidence).toEqual({ annotation: ` ${WEB_API} `, label: null, intended: WEB_API });
    expect(f.gsa).toBe(WEB_API);
    expect(f.fixes).toEqual([manifestFix("spaces", WEB_API)]);
  });

  it("a trailing newline, upper case and quotes are each cleaned up to the same intended email", () => {
    for (const [name, written] of [
      ["newline", `${WEB_API}\n`],
      ["upper", "Web-API@proj-a.iam.gserviceaccount.com"],
      ["quoted", `"${WEB_API}"`],
    ]) {
      const f = finding(name);
      expect(f.message).toBe(`web/${name} has ${KEY}: ${JSON.stringify(written)}, which is not a service account email as written.`);
      expect(f.evidence).toEqual({ annotation: written, label: null, intended: WEB_API });
      expect(f.gsa).toBe(WEB_API);
      expect(f.fixes).toEqual([manifestFix(name, WEB_API)]);
    }
  });

  it("a truncated address has no intended email to offer: the fix leaves a placeholder", () => {
    const f = finding("truncated");
    expect(f.message).toBe(`web/truncated has ${KEY}: "web-api@proj-a.iam.gserviceaccount", which is not a service account email as written.`);
    expect(f.evidence).toEqual({ annotation: "web-api@proj-a.iam.gserviceaccount", label: null, intended: "web-api@proj-a.iam.gserviceaccount" });
    expect(f.gsa).toBeNull();
    expect(f.fixes).toEqual([manifestFix("truncated", "GSA_EMAIL")]);
  });

  it("the key set as a label instead of an annotation fires, saying it has no effect", () => {
    const f = finding("labelled");
    expect(f.message).toBe(`web/labelled sets ${KEY} as a label ("web-api"), not an annotation: it has no effect.`);
    expect(f.evidence).toEqual({ annotation: null, label: "web-api", intended: "web-api" });
    expect(f.gsa).toBeNull();
    expect(f.fixes).toEqual([manifestFix("labelled", "GSA_EMAIL")]);
  });

  it("malformed annotations are left to this rule: the missing-GSA and unbound rules do not also fire on them", () => {
    const others = findingLines(r).filter((l) => l.startsWith("ksa-annotation-gsa-missing ") || l.startsWith("ksa-annotation-unbound "));
    expect(others.filter((l) => /\/web\/(spaces|newline|upper|quoted|truncated|labelled) /.test(l))).toEqual([]);
  });
});
