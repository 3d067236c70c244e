/**
 * A change set as a download: a zip, or a unified diff that only adds files — what `git apply` takes
 * (`diff --git a/P b/P`, `new file mode 100644`, `--- /dev/null`, `+++ b/P`, one `@@ -0,0 +1,N @@`
 * hunk of `+` lines). Adding only means applying it never touches a file the repository has; it fails
 * cleanly instead where a path exists already.
 */
import { zipSync, strToU8 } from "fflate";
import type { ChangeFile } from "./model";

// A fixed time keeps the same change set byte-identical from one download to the next.
const MTIME = new Date("2026-01-01T00:00:00Z");

export function toZip(files: ChangeFile[]): Uint8Array {
  const entries: Record<string, [Uint8Array, { mtime: Date }]> = {};
  for (const f of files) entries[f.path] = [strToU8(f.content), { mtime: MTIME }];
  return zipSync(entries, { level: 6 });
}

export function toPatch(files: ChangeFile[]): string {
  const out: string[] = [];
  for (const f of files) {
    const lines = f.content.split("\n");
    const endsWithNewline = f.content.endsWith("\n");
    if (endsWithNewline) lines.pop();
    out.push(`diff --git a/${f.path} b/${f.path}`, "new file mode 100644");
    if (f.content === "") continue; // an empty file: git writes no ---/+++ lines and no hunk for it
    out.push("--- /dev/null", `+++ b/${f.path}`);
    out.push(`@@ -0,0 +1${lines.length === 1 ? "" : `,${lines.length}`} @@`, ...lines.map((l) => `+${l}`));
    if (!endsWithNewline) out.push("\\ No newline at end of file");
  }
  return `${out.join("\n")}\n`;
}
