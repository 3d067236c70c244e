import type { Rule } from "./rule";
import type { Fix } from "../model";
import { gcloudBindingFix, kubectl, ksaManifestFix, tfBindingFix, workloadPatchFix } from "../fixes";
import { mountedCredentialSecrets } from "../migration";
import { gsaProject, policyView } from "../iam";

export const rule: Rule = {
  id: "workload-uses-key-file",
  severity: "high",
  title: "Workload authenticates with a JSON key",
  why: "A key copied into a Secret can leak, is hard to trace, and the ten-year ones expire one day and take the workload down. Workload Identity removes it (step 7).",
  absence: false,
  evaluate: ({ ctx, statuses }) => {
    const out = [];
    for (const w of ctx.workloads) {
      const st = statuses.get(w.subject)!;
      if (st.system) continue;
      const used = st.identity.shares.map((s) => s.identity).filter((i) => i.type === "key-file" || i.type === "credential-file" || i.type === "unknown-key-file");
      const allMounted = mountedCredentialSecrets(ctx, w);
      const mounted = allMounted.filter((m) => m.known);
      if (!used.length && !mounted.length) continue;
      const key = used.find((i) => i.type === "key-file");
      const email = key?.type === "key-file" ? key.email : null;
      const cluster = ctx.clusters.get(w.cluster!);
      const ksa = w.data.template.serviceAccountName === "default" ? w.data.name : w.data.template.serviceAccountName;
      const fixes: Fix[] = [];
      if (email && cluster?.data.workloadPool) {
        const project = gsaProject(ctx, email) ?? cluster.data.projectId;
        fixes.push(
          ksaManifestFix(w.data.namespace, ksa, email),
          tfBindingFix(email, project, cluster.data.workloadPool, w.data.namespace, ksa),
          gcloudBindingFix({ email, project, pool: cluster.data.workloadPool, ns: w.data.namespace, ksa, policy: policyView(ctx, `gsa:${email}`) }),
          workloadPatchFix(w.cluster!, w.data.kind, w.data.namespace, w.data.name, ksa, { nodeSelector: !cluster.data.autopilot && ctx.hasGkeMetadataNodes(w.cluster!) }),
        );
      }
      // Unreadable Secrets it mounts are named too: they are what to unmount when the file cannot be resolved.
      const secrets = [...new Set([...allMounted.map((m) => m.secret), ...used.flatMap((i) => (i.type === "key-file" || i.type === "credential-file" ? [i.secret] : []))])];
      fixes.push(
        kubectl(
          "Then remove the key from the workload: the GOOGLE_APPLICATION_CREDENTIALS env, the volume and its mount",
          `kubectl --context gke_${w.cluster!.slice(8).replaceAll("/", "_")} -n ${w.data.namespace} edit ${w.data.kind.toLowerCase()} ${w.data.name}\n# delete: env GOOGLE_APPLICATION_CREDENTIALS, volumeMounts/volumes for ${secrets.map((s) => s.split("/").pop()).join(", ")}`,
        ),
      );
      out.push({
        subject: w.subject,
        state: "open" as const,
        message: used.length
          ? `${w.data.kind} ${w.data.name} uses ${used.map((i) => (i.type === "key-file" ? `key ${i.keyId} of ${i.email} (${i.path} from Secret ${i.secret.split("/").pop()})` : i.type === "credential-file" ? `a ${i.credentialType} file` : `a key file it cannot resolve: ${i.reason}`)).join("; ")}.`
          : `${w.data.kind} ${w.data.name} mounts ${secrets.map((s) => s.split("/").pop()).join(", ")}, which holds a Google key (GOOGLE_APPLICATION_CREDENTIALS is not set, but the application may load it).`,
        evidence: { used, mountedSecrets: secrets },
        gsa: email,
        fixes,
      });
    }
    return out;
  },
};
