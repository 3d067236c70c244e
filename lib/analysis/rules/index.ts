/** Every finding rule, in the order the docs list them. Ids are part of the product's interface. */
import type { Rule } from "./rule";
import { rule as clusterWiDisabled } from "./cluster-wi-disabled";
import { rule as nodepoolLegacyMetadata } from "./nodepool-legacy-metadata";
import { rule as nodepoolDefaultComputeSa } from "./nodepool-default-compute-sa";
import { rule as workloadOnLegacyNode } from "./workload-on-legacy-node";
import { rule as workloadPendingNoWiNode } from "./workload-pending-no-wi-node";
import { rule as workloadDefaultKsa } from "./workload-default-ksa";
import { rule as workloadUsesKeyFile } from "./workload-uses-key-file";
import { rule as workloadInlineCredential } from "./workload-inline-credential";
import { rule as ksaAnnotationUnbound } from "./ksa-annotation-unbound";
import { rule as ksaAnnotationDenied } from "./ksa-annotation-denied";
import { rule as ksaAnnotationGsaMissing } from "./ksa-annotation-gsa-missing";
import { rule as ksaAnnotationGsaDisabled } from "./ksa-annotation-gsa-disabled";
import { rule as ksaAnnotationMalformed } from "./ksa-annotation-malformed";
import { rule as bindingWithoutAnnotation } from "./binding-without-annotation";
import { rule as bindingStale } from "./binding-stale";
import { rule as bindingIdentitySameness } from "./binding-identity-sameness";
import { rule as wiUserBroadGrant } from "./wi-user-broad-grant";
import { rule as ksaCrossProjectGsa } from "./ksa-cross-project-gsa";
import { rule as keyUserManaged } from "./key-user-managed";
import { rule as keyInSecret } from "./key-in-secret";
import { rule as keyInSecretDead } from "./key-in-secret-dead";
import { rule as keyInConfigMap } from "./key-in-configmap";
import { rule as keyExpiring } from "./key-expiring";
import { rule as keyNotRotated } from "./key-not-rotated";
import { rule as keyUnused } from "./key-unused";
import { rule as gsaShared } from "./gsa-shared";
import { rule as gsaBroadRole } from "./gsa-broad-role";
import { rule as gsaUnused } from "./gsa-unused";
import { rule as ksaDirectGrant } from "./ksa-direct-grant";

export const RULES: Rule[] = [
  clusterWiDisabled,
  nodepoolLegacyMetadata,
  nodepoolDefaultComputeSa,
  workloadOnLegacyNode,
  workloadPendingNoWiNode,
  workloadDefaultKsa,
  workloadUsesKeyFile,
  workloadInlineCredential,
  ksaAnnotationUnbound,
  ksaAnnotationDenied,
  ksaAnnotationGsaMissing,
  ksaAnnotationGsaDisabled,
  ksaAnnotationMalformed,
  bindingWithoutAnnotation,
  bindingStale,
  bindingIdentitySameness,
  wiUserBroadGrant,
  ksaCrossProjectGsa,
  keyUserManaged,
  keyInSecret,
  keyInSecretDead,
  keyInConfigMap,
  keyExpiring,
  keyNotRotated,
  keyUnused,
  gsaShared,
  gsaBroadRole,
  gsaUnused,
  ksaDirectGrant,
];

export function ruleById(id: string): Rule | undefined {
  return RULES.find((r) => r.id === id);
}
