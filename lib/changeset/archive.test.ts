/**
 * The two download forms: a zip that reads back file for file (fflate's unzipSync), and a patch that
 * the real `git apply` takes — it only adds files, so it applies beside what the repository holds
 * and refuses, naming the path, where a file exists already.
 */
import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { strFromU8, unzipSync } from "fflate";
import { toPatch, toZip } from "./archive";
import type { ChangeFile } from "./model";

const hasGit = spawnSync("sh", ["-c", "command -v git"]).status === 0;
if (!hasGit) console.warn("archive.test.ts: SKIPPING the git apply tests: `git` is not installed on this machine.");

const FILES: ChangeFile[] = [
  { path: "clusters/prod/billing/STEPS.md", content: "# Steps\n\n1. one\n" },
  { path: "clusters/prod/billing/kustomization.yaml", content: "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n" },
  { path: "clusters/prod/billing/patch.yaml", content: 'spec:\n  nodeSelector:\n    "iam.gke.io/gke-metadata-server-enabled": "true"\n' },
  { path: "clusters/prod/billing/one-line.txt", content: "single" },
  { path: "clusters/prod/billing/empty.txt", content: "" },
];

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function git(cwd: string, ...args: string[]) {
  return spawnSync("git", ["-c", "user.email=t@example.com", "-c", "user.name=t", ...args], { cwd, encoding: "utf8" });
}

describe("change set downloads", () => {
  it("zip every file at its path, byte for byte", () => {
    const back = unzipSync(toZip(FILES));
    expect(Object.keys(back).sort()).toEqual(FILES.map((f) => f.path).sort());
    for (const f of FILES) expect(strFromU8(back[f.path])).toBe(f.content);
  });

  it("give the same zip bytes for the same files", () => {
    expect(Buffer.from(toZip(FILES)).equals(Buffer.from(toZip(FILES)))).toBe(true);
  });

  it("write a unified diff of added files only, in git's new-file form", () => {
    expect(toPatch(FILES.slice(0, 1))).toBe(
      ["diff --git a/clusters/prod/billing/STEPS.md b/clusters/prod/billing/STEPS.md", "new file mode 100644", "--- /dev/null", "+++ b/clusters/prod/billing/STEPS.md", "@@ -0,0 +1,3 @@", "+# Steps", "+", "+1. one", ""].join("\n"),
    );
    expect(toPatch([FILES[3]])).toContain("@@ -0,0 +1 @@\n+single\n\\ No newline at end of file\n");
  });

  it("apply with the real git apply beside existing files, recreating every file exactly", () => {
    if (!hasGit) return;
    const repo = mkdtempSync(path.join(tmpdir(), "wi-cs-git-"));
    dirs.push(repo);
    expect(git(repo, "init", "-q").status).toBe(0);
    mkdirSync(path.join(repo, "clusters/prod/billing"), { recursive: true });
    writeFileSync(path.join(repo, "clusters/prod/billing/deployment.yaml"), "kind: Deployment\n");
    git(repo, "add", ".");
    expect(git(repo, "commit", "-qm", "base").status).toBe(0);
    writeFileSync(path.join(repo, "changes.patch"), toPatch(FILES));
    const check = git(repo, "apply", "--check", "changes.patch");
    expect(check.stderr).toBe("");
    expect(check.status).toBe(0);
    expect(git(repo, "apply", "changes.patch").status).toBe(0);
    for (const f of FILES) expect(readFileSync(path.join(repo, f.path), "utf8")).toBe(f.content);
    expect(readFileSync(path.join(repo, "clusters/prod/billing/deployment.yaml"), "utf8")).toBe("kind: Deployment\n");
    // Only additions: applied again, git refuses because the files exist, and names one.
    const again = git(repo, "apply", "--check", "changes.patch");
    expect(again.status).not.toBe(0);
    expect(again.stderr).toContain("clusters/prod/billing/STEPS.md: already exists in working directory");
  });
});
