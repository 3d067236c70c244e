/**
 * The estate the Kubernetes write tests run against (k8s-writes.test.ts with client-node,
 * k8s-writes-kubectl.test.ts with the real kubectl): one cluster with a legacy (GCE metadata) pool and a
 * GKE-metadata pool, and one workload of each kind in namespace `web`, the Deployment `api` pinned to
 * the legacy pool and mounting a key Secret.
 */
/** The cluster, as PROJECT/LOCATION/NAME. */
export const CLUSTER = "wprj-1/asia-northeast1-a/c1";
export const GKE_LABEL = "iam.gke.io/gke-metadata-server-enabled";

export const ESTATE = `
now: "2026-11-29T00:00:00Z"
projects:
  - projectId: wprj-1
    projectNumber: "300000000001"
    clusters:
      - cluster:
          name: c1
          location: asia-northeast1-a
          workloadIdentityConfig: {workloadPool: wprj-1.svc.id.goog}
          nodePools:
            - {name: legacy, initialNodeCount: 2, config: {workloadMetadataConfig: {mode: GCE_METADATA}}}
            - {name: wi, initialNodeCount: 2, config: {workloadMetadataConfig: {mode: GKE_METADATA}}}
        manifests:
          - {apiVersion: v1, kind: ServiceAccount, metadata: {name: app, namespace: web}}
          - {apiVersion: v1, kind: Secret, metadata: {name: gsa-key, namespace: web}, type: Opaque, data: {key.json: e30=}}
          - {apiVersion: v1, kind: ConfigMap, metadata: {name: settings, namespace: web}, data: {mode: prod}}
          - apiVersion: apps/v1
            kind: Deployment
            metadata: {name: api, namespace: web}
            spec:
              replicas: 2
              selector: {matchLabels: {app: api}}
              template:
                metadata: {labels: {app: api}}
                spec:
                  nodeSelector: {cloud.google.com/gke-nodepool: legacy}
                  containers:
                    - name: api
                      image: gcr.io/wp/api:1
                      env:
                        - {name: GOOGLE_APPLICATION_CREDENTIALS, value: /var/secrets/google/key.json}
                        - {name: MODE, value: prod}
                      volumeMounts: [{name: key, mountPath: /var/secrets/google}]
                  volumes: [{name: key, secret: {secretName: gsa-key}}]
          - apiVersion: apps/v1
            kind: Deployment
            metadata: {name: free, namespace: web}
            spec:
              replicas: 1
              selector: {matchLabels: {app: free}}
              template:
                metadata: {labels: {app: free}}
                spec:
                  affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: cloud.google.com/gke-nodepool, operator: In, values: [legacy]}]}]}}}
                  containers: [{name: free, image: gcr.io/wp/free:1}]
          - apiVersion: apps/v1
            kind: StatefulSet
            metadata: {name: db, namespace: web}
            spec:
              replicas: 2
              serviceName: db
              selector: {matchLabels: {app: db}}
              template:
                metadata: {labels: {app: db}}
                spec:
                  nodeSelector: {cloud.google.com/gke-nodepool: legacy}
                  containers: [{name: db, image: postgres:16}]
          - apiVersion: apps/v1
            kind: DaemonSet
            metadata: {name: agent, namespace: web}
            spec:
              selector: {matchLabels: {app: agent}}
              template:
                metadata: {labels: {app: agent}}
                spec:
                  containers: [{name: agent, image: gcr.io/wp/agent:1}]
          - apiVersion: batch/v1
            kind: CronJob
            metadata: {name: nightly, namespace: web}
            spec:
              schedule: "0 3 * * *"
              jobTemplate:
                spec:
                  template:
                    spec:
                      restartPolicy: OnFailure
                      containers: [{name: nightly, image: gcr.io/wp/nightly:1}]
`;

