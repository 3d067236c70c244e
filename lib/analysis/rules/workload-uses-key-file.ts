import type { Rule } from "./rule";
import type { Fix, FindingDraft, Identity } from "../model";
import { splitAccountFix, splitTargetFor } from "../split";
import { gcloudBindingFix, kubectl, ksaManifestFix, tfBindingFix, workloadPatchFix } from "../fixes";
import { mountedCredentialSecrets } from "../migration";
import { gsaProject, policyView } from "../iam";
import { isKeyish, isPossiblyKeyish } from "../identity";
import { pinsAwayFromGkeMetadata } from "../scheduling";

/** A short account of one key-ish identity, for the message. */
function describe(i: Identity): string {
  if (i.type === "key-file") return `key ${i.keyId} of ${i.email} (${i.path} from ${i.secret.startsWith("configmap:") ? "ConfigMap" : "Secret"} ${i.secret.split("/").pop()})${i.impersonates ? ` to impersonate ${i.impersonates}` : ""}`;
  if (i.type === "credential-file") return `a ${i.credentialType} file${i.credentialType === "impersonated_service_account" ? ` whose source is ${i.sourceType ?? "unknown"}` : ""} — a person's refresh token (${i.path})`;
  if (i.type === "unknown-key-file") return `a key file it cannot resolve: ${i.reason}`;
  return i.type;
}

export const rule: Rule = {
  id: "workload-uses-key-file",
  severity: "high",
  title: "Workload authenticates with a JSON key",
  why: "A key copied into a Secret can leak, is hard to trace, and the ten-year ones expire one day and take the workload down. Workload Identity removes it (step 7). A user's refresh token in a pod is worse: it acts as a person.",
  absence: false,
  evaluate: ({ ctx, statuses }) => {
    const out: FindingDraft[] = [];
    for (const w of ctx.workloads) {
      const st = statuses.get(w.subject)!;
      if (st.system) continue;
      const ids = st.identity.shares.map((s) => s.identity);
      // Keyless credential configurations (external_account) are not keys: only key-ish identities count.
      const used = ids.filter(isKeyish);
      const maybe = ids.filter(isPossiblyKeyish);
      const allMounted = mountedCredentialSecrets(ctx, w);
      const mounted = allMounted.filter((m) => m.known);
      if (!used.length && !mounted.length && !maybe.length) continue;
      const key = used.find((i) => i.type === "key-file");
      const email = key?.type === "key-file" ? (key.impersonates ?? key.email) : null;
      const cluster = ctx.clusters.get(w.cluster!);
      // A shared account (gsa-shared) is split: the workload moves to the account its split assigns it.
      const split = email ? splitTargetFor(ctx, w.subject, [key?.type === "key-file" ? key.email : null, email]) : null;
      const ksa = split ? split.entry.ksa.slice(split.entry.ksa.indexOf("/") + 1) : w.data.template.serviceAccountName === "default" ? w.data.name : w.data.template.serviceAccountName;
      // Unreadable Secrets it mounts are named too: they are what to unmount when the file cannot be resolved.
      const secrets = [...new Set([...allMounted.map((m) => m.secret), ...used.flatMap((i) => (i.type === "key-file" || i.type === "credential-file" ? [i.secret] : []))])];
      const context = `kubectl --context gke_${w.cluster!.slice(8).replaceAll("/", "_")} -n ${w.data.namespace}`;
      if (!used.length && !mounted.length) {
        // GOOGLE_APPLICATION_CREDENTIALS may not be set at all: its only source could not be read. Not a finding until it is.
        const lacking = [...new Set(maybe.flatMap((i) => (i.type === "unknown-key-file" ? i.lacking : [])))];
        out.push({
          subject: w.subject,
          state: "unverified",
          message: `${w.data.kind} ${w.data.name} may use a key file: ${maybe.map((i) => (i.type === "unknown-key-file" ? i.reason : i.type)).join("; ")}.`,
          evidence: { possible: maybe },
          lacking,
          fixes: [
            kubectl(
              "Check what the container really gets",
              ["Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet"].includes(w.data.kind)
                ? `${context} exec ${w.data.kind.toLowerCase()}/${w.data.name} -- printenv GOOGLE_APPLICATION_CREDENTIALS`
                : `${context} get ${w.data.kind.toLowerCase()} ${w.data.name} -o yaml  # then read the env, envFrom and the sources it names`,
            ),
          ],
        });
        continue;
      }
      // Made when the finding's row is written (FindingDraft.fixes): several kB of text per workload.
      const fixes = (): Fix[] => {
        const made: Fix[] = [];
        if (email && cluster?.data.workloadPool) {
          const project = split ? split.split.project : (gsaProject(ctx, email) ?? cluster.data.projectId);
          if (split) made.push(splitAccountFix(ctx, split.split, split.entry, w.data.name));
          const target = split ? split.entry.gsa : email;
          made.push(
            ksaManifestFix(w.data.namespace, ksa, target),
            tfBindingFix(target, project, cluster.data.workloadPool, w.data.namespace, ksa),
            gcloudBindingFix({ email: target, project, pool: cluster.data.workloadPool, ns: w.data.namespace, ksa, policy: policyView(ctx, `gsa:${target}`) }),
            workloadPatchFix(w.cluster!, w.data.kind, w.data.namespace, w.data.name, ksa, { nodeSelector: !cluster.data.autopilot && ctx.hasGkeMetadataNodes(w.cluster!), unpin: pinsAwayFromGkeMetadata(ctx, w.cluster!, w.data.template) }),
          );
        }
        made.push(
          kubectl(
            "Then remove the key from the workload: the GOOGLE_APPLICATION_CREDENTIALS env, the volume and its mount",
            `${context} edit ${w.data.kind.toLowerCase()} ${w.data.name}\n# delete: env GOOGLE_APPLICATION_CREDENTIALS, volumeMounts/volumes for ${secrets.map((s) => s.split("/").pop()).join(", ")}`,
          ),
        );
        return made;
      };
      out.push({
        subject: w.subject,
        state: "open",
        message: used.length
          ? `${w.data.kind} ${w.data.name} uses ${used.map(describe).join("; ")}.`
          : `${w.data.kind} ${w.data.name} mounts ${secrets.map((s) => s.split("/").pop()).join(", ")}, which holds a Google key (GOOGLE_APPLICATION_CREDENTIALS is not set, but the application may load it).`,
        evidence: { used, mountedSecrets: secrets },
        gsa: key?.type === "key-file" ? key.email : null,
        fixes,
      });
    }
    return out;
  },
};
