import { describe, expect, it } from "vitest";
import { ADC_WELL_KNOWN, fileSource, filesEndingWith } from "./pod-files";

// The fleet Workload Identity pod of Google's docs: one projected volume with the KSA token and the
// credential configuration from a ConfigMap, side by side.
// https://cloud.google.com/anthos/fleet-management/docs/use-workload-identity
const fleetVolumes = [
  {
    name: "gcp-ksa",
    projected: {
      defaultMode: 420,
      sources: [
        { serviceAccountToken: { path: "token", audience: "fleet-host.svc.id.goog", expirationSeconds: 172800 } },
        { configMap: { name: "my-cloudsdk-config", optional: false, items: [{ key: "config", path: "google-application-credentials.json" }] } },
      ],
    },
  },
];
const fleetMounts = [{ name: "gcp-ksa", mountPath: "/var/run/secrets/tokens/gcp-ksa" }];

describe("fileSource", () => {
  it("follows a projected volume to its ConfigMap item, and knows the token beside it", () => {
    expect(fileSource(fleetVolumes, fleetMounts, "/var/run/secrets/tokens/gcp-ksa/google-application-credentials.json")).toEqual({
      kind: "configMap",
      name: "my-cloudsdk-config",
      key: "config",
      optional: false,
      volume: "gcp-ksa",
    });
    expect(fileSource(fleetVolumes, fleetMounts, "/var/run/secrets/tokens/gcp-ksa/token")).toEqual({ kind: "token", volume: "gcp-ksa" });
  });

  it("takes the longest mount, applies subPath, and names volume types it cannot read", () => {
    const volumes = [
      { name: "conf", configMap: { name: "app-conf" } },
      { name: "key", secret: { secretName: "gcp-key", optional: true } },
      { name: "csi", csi: { driver: "secrets-store.csi.k8s.io" } },
    ];
    const mounts = [
      { name: "conf", mountPath: "/etc/app" },
      { name: "key", mountPath: "/etc/app/gcp/sa.json", subPath: "key.json" },
      { name: "csi", mountPath: "/mnt/secrets" },
    ];
    expect(fileSource(volumes, mounts, "/etc/app/gcp/sa.json")).toEqual({ kind: "secret", name: "gcp-key", key: "key.json", optional: true, volume: "key" });
    expect(fileSource(volumes, mounts, "/etc/app/settings.yaml")).toEqual({ kind: "configMap", name: "app-conf", key: "settings.yaml", optional: false, volume: "conf" });
    expect(fileSource(volumes, mounts, "/mnt/secrets/key.json")).toEqual({ kind: "other", volume: "csi", volumeType: "csi" });
    expect(fileSource(volumes, mounts, "/tmp/key.json")).toEqual({ kind: "none", reason: "/tmp/key.json is not on any mounted volume" });
  });

  it("with items, only the listed paths exist", () => {
    const volumes = [{ name: "key", secret: { secretName: "s", items: [{ key: "key.json", path: "sa/credentials.json" }] } }];
    const mounts = [{ name: "key", mountPath: "/var/secrets" }];
    expect(fileSource(volumes, mounts, "/var/secrets/sa/credentials.json")).toMatchObject({ kind: "secret", key: "key.json" });
    expect(fileSource(volumes, mounts, "/var/secrets/key.json")).toEqual({ kind: "none", reason: "volume key has no file key.json" });
  });
});

describe("filesEndingWith: ADC's well-known file under any HOME", () => {
  it("finds a Secret key mounted as .config/gcloud/application_default_credentials.json, by items, by directory, by subPath", () => {
    const volumes = [
      { name: "adc", secret: { secretName: "dev-adc", items: [{ key: "adc.json", path: ".config/gcloud/application_default_credentials.json" }] } },
      { name: "gcloud", secret: { secretName: "gcloud-dir" } },
      { name: "one", configMap: { name: "adc-cm" } },
    ];
    expect(filesEndingWith(volumes, [{ name: "adc", mountPath: "/home/app" }], ADC_WELL_KNOWN)).toEqual([
      { path: "/home/app/.config/gcloud/application_default_credentials.json", source: { kind: "secret", name: "dev-adc", key: "adc.json", optional: false, volume: "adc" } },
    ]);
    // A whole Secret mounted as the gcloud directory: its keys decide (known here), else the well-known name is assumed.
    expect(filesEndingWith(volumes, [{ name: "gcloud", mountPath: "/root/.config/gcloud" }], ADC_WELL_KNOWN, () => ["application_default_credentials.json", "credentials.db"])).toEqual([
      { path: "/root/.config/gcloud/application_default_credentials.json", source: { kind: "secret", name: "gcloud-dir", key: "application_default_credentials.json", optional: false, volume: "gcloud" } },
    ]);
    expect(filesEndingWith(volumes, [{ name: "gcloud", mountPath: "/root/.config/gcloud" }], ADC_WELL_KNOWN, () => ["credentials.db"])).toEqual([]);
    expect(filesEndingWith(volumes, [{ name: "one", mountPath: "/home/runner/.config/gcloud/application_default_credentials.json", subPath: "adc" }], ADC_WELL_KNOWN)).toEqual([
      { path: "/home/runner/.config/gcloud/application_default_credentials.json", source: { kind: "configMap", name: "adc-cm", key: "adc", optional: false, volume: "one" } },
    ]);
  });

  it("finds nothing on a path that merely contains the name", () => {
    const volumes = [{ name: "k", secret: { secretName: "s", items: [{ key: "k", path: "application_default_credentials.json" }] } }];
    expect(filesEndingWith(volumes, [{ name: "k", mountPath: "/etc/gcloud" }], ADC_WELL_KNOWN)).toEqual([]);
  });
});
