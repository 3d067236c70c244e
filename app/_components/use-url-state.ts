"use client";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useCallback } from "react";

/** Every view's state lives in the URL, so a link reproduces it. */
export function useUrlState() {
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const set = useCallback(
    (changes: Record<string, string | null | undefined>, opts: { resetPage?: boolean; push?: boolean } = { resetPage: true }) => {
      const next = new URLSearchParams(params.toString());
      for (const [k, v] of Object.entries(changes)) {
        if (v === null || v === undefined || v === "") next.delete(k);
        else next.set(k, v);
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
