"use client";
/**
 * "Download change set": the selection's Kustomize components, Terraform and STEPS.md, as a zip or as
 * a patch that only adds files, placed by the user's path template (wi-atlas never sees the
 * repository). Shown on workload, namespace, GSA and cluster pages; nothing for other kinds.
 */
import { useState } from "react";
import { Card } from "./ui";
import { DEFAULT_PATH_TEMPLATE, PATH_PLACEHOLDERS, parsePathTemplate } from "@/lib/changeset/path-template";

const KINDS = ["workload", "namespace", "gsa", "cluster"];

export function ChangeSetDownload({ subject }: { subject: string }) {
  const [format, setFormat] = useState<"zip" | "patch">("zip");
  const [template, setTemplate] = useState(DEFAULT_PATH_TEMPLATE);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (!KINDS.includes(subject.slice(0, subject.indexOf(":")))) return null;
  const checked = parsePathTemplate(template);
  const url = `/api/change-set?subject=${encodeURIComponent(subject)}&format=${format}&path=${encodeURIComponent(template)}`;

  // Fetched rather than linked, so a refusal (a template the server rejects) shows here instead of downloading as a file.
  async function download() {
    setBusy(true);
    setError(null);
    try {
      const res = await fetch(url);
      if (!res.ok) {
        const body = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
        throw new Error(body?.error?.message ?? `${res.status} ${res.statusText}`);
      }
      const name = /filename="([^"]+)"/.exec(res.headers.get("content-disposition") ?? "")?.[1] ?? `wi-atlas-changes.${format}`;
      const href = URL.createObjectURL(await res.blob());
      const a = document.createElement("a");
      a.href = href;
      a.download = name;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(href), 10_000);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Card title="Change set">
      <p className="mb-2 text-sm text-slate-600 dark:text-slate-400">
        Kustomize components (KSA annotation, serviceAccountName and the quoted <code>&quot;true&quot;</code> nodeSelector; key removal apart), Terraform for the bindings and a STEPS.md in the
        article&apos;s order, with a what-if link on each destructive step.
      </p>
      <form
        className="flex flex-wrap items-end gap-3 text-sm"
        data-testid="change-set"
        onSubmit={(e) => {
          e.preventDefault();
          if (checked.ok) void download();
        }}
      >
        <label className="flex flex-col gap-1">
          <span>Format</span>
          <select value={format} onChange={(e) => setFormat(e.target.value as "zip" | "patch")} className="rounded border border-slate-300 px-2 py-1 dark:border-slate-700 dark:bg-slate-900">
            <option value="zip">zip</option>
            <option value="patch">patch (git apply)</option>
          </select>
        </label>
        <label className="flex min-w-[18rem] flex-1 flex-col gap-1">
          <span>Path in your repository ({PATH_PLACEHOLDERS.map((p) => `{${p}}`).join(" ")})</span>
          <input value={template} onChange={(e) => setTemplate(e.target.value)} className="mono rounded border border-slate-300 px-2 py-1 text-xs dark:border-slate-700 dark:bg-slate-900" aria-label="Path template" />
        </label>
        <button type="submit" disabled={busy || !checked.ok} className="rounded border border-slate-300 px-3 py-1 hover:bg-slate-100 disabled:opacity-50 dark:border-slate-700 dark:hover:bg-slate-800">
          {busy ? "Preparing…" : "Download change set"}
        </button>
      </form>
      {!checked.ok && (
        <p role="alert" className="mt-2 text-sm text-red-700 dark:text-red-300">
          {checked.error}
        </p>
      )}
      {error && (
        <p role="alert" className="mt-2 text-sm text-red-700 dark:text-red-300">
          {error}
        </p>
      )}
    </Card>
  );
}
