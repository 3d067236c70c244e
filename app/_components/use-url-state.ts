"use client";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useCallback } from "react";

/** The values of a parameter that takes several: every repeat, split at commas (`a&a=b,c` → a, b, c). */
export function urlValues(params: URLSearchParams, name: string): string[] {
  return [
    ...new Set(
      params
        .getAll(name)
        .flatMap((v) => v.split(","))
        .map((v) => v.trim())
        .filter(Boolean),
    ),
  ];
}

/** Every view's state lives in the URL, so a link reproduces it. A list value writes the parameter once per item. */
export function useUrlState() {
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const set = useCallback(
    (changes: Record<string, string | string[] | null | undefined>, opts: { resetPage?: boolean; push?: boolean } = { resetPage: true }) => {
      const next = new URLSearchParams(params.toString());
      for (const [k, v] of Object.entries(changes)) {
        next.delete(k);
        if (Array.isArray(v)) for (const x of v) next.append(k, x);
        else if (v !== null && v !== undefined && v !== "") next.set(k, v);
      }
      if (opts.resetPage && !Object.keys(changes).some((k) => k.endsWith("page"))) {
        for (const k of [...next.keys()]) if (k === "page" || k.endsWith("_page")) next.delete(k);
      }
      const qs = next.toString();
      // `push` for a move the browser's Back should undo (the graph's focus); other controls replace.
      if (opts.push) router.push(qs ? `${pathname}?${qs}` : pathname, { scroll: false });
      else router.replace(qs ? `${pathname}?${qs}` : pathname, { scroll: false });
    },
    [params, router, pathname],
  );
  return { params, set };
}
