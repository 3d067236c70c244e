import { describe, expect, it } from "vitest";
import { clusterConsoleUrl, consoleUrl, gsaConsoleUrl, keyConsoleUrl, kubectlCommands, nodePoolConsoleUrl, projectIamConsoleUrl } from "./console-links";

describe("console links", () => {
  it("a GSA links to its details page in its own project, by unique id when known", () => {
    expect(gsaConsoleUrl("Common-Batch@acme-prod.iam.gserviceaccount.com")).toBe(
      "https://console.cloud.google.com/iam-admin/serviceaccounts/details/common-batch%40acme-prod.iam.gserviceaccount.com?project=acme-prod",
    );
    expect(gsaConsoleUrl("x@acme-prod.iam.gserviceaccount.com", { uniqueId: "108375930580289490888" })).toBe(
      "https://console.cloud.google.com/iam-admin/serviceaccounts/details/108375930580289490888?project=acme-prod",
    );
  });

  it("a Compute Engine default account needs its project given (its email does not name it)", () => {
    expect(gsaConsoleUrl("123-compute@developer.gserviceaccount.com")).toBeNull();
    expect(gsaConsoleUrl("123-compute@developer.gserviceaccount.com", { project: "acme-prod" })).toBe(
      "https://console.cloud.google.com/iam-admin/serviceaccounts/details/123-compute%40developer.gserviceaccount.com?project=acme-prod",
    );
  });

  it("a key links to its account's keys tab", () => {
    expect(keyConsoleUrl("billing@acme-prod.iam.gserviceaccount.com")).toBe(
      "https://console.cloud.google.com/iam-admin/serviceaccounts/details/billing%40acme-prod.iam.gserviceaccount.com/keys?project=acme-prod",
    );
    expect(consoleUrl("key:billing@acme-prod.iam.gserviceaccount.com/4ddb89a282f2db3844767a0db05225ef8a45b6ae")).toBe(keyConsoleUrl("billing@acme-prod.iam.gserviceaccount.com"));
  });

  it("clusters, node pools and projects link to their Kubernetes Engine and IAM pages", () => {
    expect(clusterConsoleUrl("acme-prod", "asia-northeast1", "prod")).toBe("https://console.cloud.google.com/kubernetes/clusters/details/asia-northeast1/prod/details?project=acme-prod");
    expect(nodePoolConsoleUrl("acme-prod", "asia-northeast1", "prod", "default-pool")).toBe("https://console.cloud.google.com/kubernetes/nodepool/asia-northeast1/prod/default-pool?project=acme-prod");
    expect(projectIamConsoleUrl("acme-prod")).toBe("https://console.cloud.google.com/iam-admin/iam?project=acme-prod");
    expect(consoleUrl("cluster:acme-prod/asia-northeast1/prod")).toBe(clusterConsoleUrl("acme-prod", "asia-northeast1", "prod"));
    expect(consoleUrl("nodepool:acme-prod/asia-northeast1/prod/wi-pool")).toBe(nodePoolConsoleUrl("acme-prod", "asia-northeast1", "prod", "wi-pool"));
    expect(consoleUrl("project:acme-prod")).toBe(projectIamConsoleUrl("acme-prod"));
  });

  it("in-cluster objects and malformed subjects have no Console link", () => {
    expect(consoleUrl("ksa:acme-prod/asia-northeast1/prod/web/api")).toBeNull();
    expect(consoleUrl("cluster:acme-prod/prod")).toBeNull();
    expect(consoleUrl("nonsense")).toBeNull();
  });
});

describe("kubectl commands", () => {
  const ctx = "kubectl --context gke_acme-prod_asia-northeast1_prod";
  it("every Kubernetes kind gets a command in the cluster's get-credentials context", () => {
    const c = kubectlCommands("ksa:acme-prod/asia-northeast1/prod/web/api")!;
    expect(c.context).toBe("gke_acme-prod_asia-northeast1_prod");
    expect(c.getCredentials).toBe("gcloud container clusters get-credentials prod --location=asia-northeast1 --project=acme-prod");
    expect(c.show).toBe(`${ctx} -n web get serviceaccount api -o yaml`);
    expect(kubectlCommands("namespace:acme-prod/asia-northeast1/prod/web")!.show).toBe(`${ctx} get namespace web -o yaml`);
    expect(kubectlCommands("workload:acme-prod/asia-northeast1/prod/batch/CronJob/nightly")!.show).toBe(`${ctx} -n batch get cronjob nightly -o yaml`);
    expect(kubectlCommands("pod:acme-prod/asia-northeast1/prod/web/frontend-1")!.show).toBe(`${ctx} -n web get pod frontend-1 -o yaml`);
    expect(kubectlCommands("configmap:acme-prod/asia-northeast1/prod/web/gcp")!.show).toBe(`${ctx} -n web get configmap gcp -o yaml`);
    expect(kubectlCommands("node:acme-prod/asia-northeast1/prod/gke-prod-default-1")!.show).toBe(`${ctx} get node gke-prod-default-1 -o yaml`);
  });

  it("a Secret is described (data keys and sizes), never printed", () => {
    expect(kubectlCommands("secret:acme-prod/asia-northeast1/prod/batch/gcp-key")!.show).toBe(`${ctx} -n batch describe secret gcp-key`);
  });

  it("Google objects and malformed subjects get no kubectl command", () => {
    expect(kubectlCommands("gsa:x@acme-prod.iam.gserviceaccount.com")).toBeNull();
    expect(kubectlCommands("cluster:acme-prod/asia-northeast1/prod")).toBeNull();
    expect(kubectlCommands("ksa:acme-prod/asia-northeast1/prod/web")).toBeNull();
  });

  it("a name a shell would split is quoted", () => {
    expect(kubectlCommands("ksa:p/l/c/ns/a b")!.show).toBe("kubectl --context gke_p_l_c -n ns get serviceaccount 'a b' -o yaml");
  });
});
