"use client";
import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { fetchJson } from "./fetch-json";
import { useUrlState } from "./use-url-state";
import { SelectFilter } from "./select-filter";

type Facets = { project: string[]; cluster: string[]; namespace: string[]; owner?: string[] };

const selectCls =
  "rounded border border-slate-300 bg-white px-2 py-1 text-sm dark:border-slate-700 dark:bg-slate-900 max-w-[16rem]";

/** Project / cluster / namespace / owner / GSA / search: the filter vocabulary every table and CSV share. */
export function FilterBar({ show = ["project", "cluster", "namespace", "q"], extra }: { show?: string[]; extra?: React.ReactNode }) {
  const { params, set } = useUrlState();
  const facets = useQuery({ queryKey: ["facets"], queryFn: () => fetchJson<Facets>("/api/facets"), staleTime: 60_000 });
  const [q, setQ] = useState(params.get("q") ?? "");
  useEffect(() => setQ(params.get("q") ?? ""), [params]);
  useEffect(() => {
    const t = setTimeout(() => {
      if ((params.get("q") ?? "") !== q) set({ q });
    }, 300);
    return () => clearTimeout(t);
  }, [q]); // eslint-disable-line react-hooks/exhaustive-deps

  // Each takes several values (the URL repeats the parameter); see SelectFilter.
  const select = (name: "project" | "cluster" | "namespace" | "owner", label: string) =>
    show.includes(name) &&
    // Owner only where an owners file names teams (WI_ATLAS_OWNERS); a page opts in with "owner".
    (name !== "owner" || (facets.data?.owner?.length ?? 0) > 0 || params.get("owner")) && (
      <SelectFilter name={name} label={label} options={(facets.data?.[name] ?? []).map((v) => ({ value: v, label: name === "cluster" ? v.replace(/^cluster:/, "") : undefined }))} />
    );

  const active = ["project", "cluster", "namespace", "gsa", "rule", "severity", "state", "owner", "q"].filter((k) => params.get(k));
  return (
    <div className="mb-3 flex flex-wrap items-center gap-3" role="search">
      {select("project", "Project")}
      {select("cluster", "Cluster")}
      {select("namespace", "Namespace")}
      {select("owner", "Owner")}
      {extra}
      {show.includes("q") && (
        <label className="flex items-center gap-1 text-sm">
          <span className="sr-only">Search</span>
          <input
            type="search"
            placeholder="Filter by text…"
            aria-label="Filter by text"
            className={`${selectCls} w-56`}
            value={q}
            onChange={(e) => setQ(e.target.value)}
          />
        </label>
      )}
      {params.get("gsa") && (
        <span className="rounded bg-blue-50 px-2 py-1 text-xs dark:bg-blue-950">
          GSA: <span className="mono">{params.get("gsa")}</span>
        </span>
      )}
      {active.length > 0 && (
        <button
          type="button"
          className="text-sm text-blue-700 hover:underline dark:text-blue-300"
          onClick={() => set(Object.fromEntries(active.map((k) => [k, null])))}
        >
          Clear filters
        </button>
      )}
    </div>
  );
}
