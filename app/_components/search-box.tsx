"use client";
import { useQuery } from "@tanstack/react-query";
import { useEffect, useId, useRef, useState } from "react";
import { useRouter } from "next/navigation";
import { fetchJson } from "./fetch-json";
import { subjectHref } from "./links";

type Result = { kind: string; subject: string; label: string; detail: string | null; project?: string | null; cluster?: string | null; namespace?: string | null; exact?: boolean };

/** Where a hit lives, as people say it: `prod (asia-northeast1) · orders · acme-prod`. */
export function hitScope(r: Result): string {
  const parts: string[] = [];
  if (r.cluster && r.cluster !== r.subject) {
    const [, location, name] = r.cluster.replace(/^cluster:/, "").split("/");
    parts.push(`${name} (${location})`);
  }
  if (r.namespace && r.kind !== "namespace") parts.push(`ns ${r.namespace}`);
  if (r.project && r.kind !== "project") parts.push(r.project);
  return parts.join(" · ");
}

/**
 * Search GSAs, KSAs, workloads, keys (by key id), clusters, namespaces and Secrets. Press `/` or
 * Ctrl/⌘-K anywhere to focus it; ↑/↓ to choose; Enter opens the page, Shift+Enter focuses the graph.
 */
export function SearchBox({ mode = "page", placeholder = "Search  ( / )", onPick, autoFocusKey = true }: { mode?: "page" | "graph"; placeholder?: string; onPick?: (subject: string) => void; autoFocusKey?: boolean }) {
  const [q, setQ] = useState("");
  const [debounced, setDebounced] = useState("");
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const input = useRef<HTMLInputElement>(null);
  const router = useRouter();
  const listId = useId();
  useEffect(() => {
    const t = setTimeout(() => setDebounced(q), 150);
    return () => clearTimeout(t);
  }, [q]);
  useEffect(() => {
    if (!autoFocusKey) return;
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement;
      const typing = target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT" || target.isContentEditable;
      if ((e.key === "/" && !typing) || (e.key.toLowerCase() === "k" && (e.ctrlKey || e.metaKey))) {
        e.preventDefault();
        input.current?.focus();
        input.current?.select();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [autoFocusKey]);
  const results = useQuery({
    queryKey: ["search", debounced],
    queryFn: () => fetchJson<{ results: Result[]; total?: number }>(`/api/search?q=${encodeURIComponent(debounced)}`),
    enabled: debounced.trim().length >= 2,
  });
  const items = results.data?.results ?? [];
  const total = results.data?.total ?? items.length;
  const go = (r: Result, graph: boolean) => {
    setOpen(false);
    setQ("");
    if (onPick) return onPick(r.subject);
    router.push(graph || mode === "graph" ? `/graph?focus=${encodeURIComponent(r.subject)}` : subjectHref(r.subject));
  };
  return (
    <div className="relative">
      <input
        ref={input}
        type="search"
        role="combobox"
        aria-label="Search GSAs, KSAs, workloads, keys, clusters"
        aria-expanded={open && items.length > 0}
        aria-controls={listId}
        aria-activedescendant={open && items[active] ? `${listId}-${active}` : undefined}
        placeholder={placeholder}
        value={q}
        onChange={(e) => {
          setQ(e.target.value);
          setOpen(true);
          setActive(0);
        }}
        onFocus={() => setOpen(true)}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
        onKeyDown={(e) => {
          if (e.key === "ArrowDown") {
            e.preventDefault();
            setActive((a) => Math.min(a + 1, items.length - 1));
          } else if (e.key === "ArrowUp") {
            e.preventDefault();
            setActive((a) => Math.max(a - 1, 0));
          } else if (e.key === "Enter" && items[active]) {
            e.preventDefault();
            go(items[active], e.shiftKey);
          } else if (e.key === "Escape") {
            setOpen(false);
            input.current?.blur();
          }
        }}
        className="w-64 rounded border border-slate-300 bg-white px-2 py-1 text-sm dark:border-slate-700 dark:bg-slate-900"
      />
      {open && q.trim().length >= 2 && (
        <ul id={listId} role="listbox" className="absolute right-0 z-50 mt-1 max-h-96 w-[32rem] overflow-auto rounded border border-slate-200 bg-white shadow-lg dark:border-slate-700 dark:bg-slate-900">
          {results.isFetching && items.length === 0 && <li className="px-3 py-2 text-sm text-slate-500 dark:text-slate-400">Searching…</li>}
          {!results.isFetching && items.length === 0 && <li className="px-3 py-2 text-sm text-slate-500 dark:text-slate-400">Nothing matches “{q}”.</li>}
          {items.map((r, i) => (
            <li
              key={r.subject}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={i === active}
              onMouseDown={(e) => {
                e.preventDefault();
                go(r, e.shiftKey);
              }}
              onMouseEnter={() => setActive(i)}
              className={`flex cursor-pointer items-baseline gap-2 px-3 py-1.5 text-sm ${i === active ? "bg-blue-50 dark:bg-blue-950" : ""}`}
            >
              <span className="w-16 shrink-0 text-xs uppercase text-slate-500 dark:text-slate-400">{r.kind}</span>
              <span className="min-w-0 flex-1">
                <span className={`mono text-xs break-all ${r.exact ? "font-semibold" : ""}`}>{r.label}</span>
                {r.detail && <span className="ml-2 text-xs text-slate-500 dark:text-slate-400">{r.detail}</span>}
                <span className="block truncate text-xs text-slate-500 dark:text-slate-400" data-testid="search-scope">
                  {hitScope(r) || r.subject.slice(r.subject.indexOf(":") + 1)}
                </span>
              </span>
            </li>
          ))}
          {items.length > 0 && total > items.length && (
            <li className="border-t border-slate-100 px-3 py-1 text-xs text-amber-800 dark:border-slate-800 dark:text-amber-300" data-testid="search-more">
              Showing {items.length} of {total} — type more to narrow it down
            </li>
          )}
          {items.length > 0 && <li className="border-t border-slate-100 px-3 py-1 text-xs text-slate-500 dark:text-slate-400 dark:border-slate-800">Enter: open · Shift+Enter: show in graph</li>}
        </ul>
      )}
    </div>
  );
}
