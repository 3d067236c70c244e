"use client";
import { useUrlState } from "./use-url-state";

/** A select bound to one URL parameter of the shared filter vocabulary. */
export function SelectFilter({ name, label, options, allLabel = "all" }: { name: string; label: string; options: { value: string; label?: string }[]; allLabel?: string }) {
  const { params, set } = useUrlState();
  const current = params.get(name) ?? "";
  return (
    <label className="flex items-center gap-1 text-sm">
      <span className="text-slate-600 dark:text-slate-400">{label}</span>
      <select
        aria-label={label}
        className="max-w-[16rem] rounded border border-slate-300 bg-white px-2 py-1 text-sm dark:border-slate-700 dark:bg-slate-900"
        value={current}
        onChange={(e) => set({ [name]: e.target.value })}
      >
        <option value="">{allLabel}</option>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label ?? o.value}
          </option>
        ))}
        {current && !options.some((o) => o.value === current) && <option value={current}>{current}</option>}
      </select>
    </label>
  );
}
