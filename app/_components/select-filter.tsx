"use client";
import { urlValues, useUrlState } from "./use-url-state";

const SUMMARY = "__chosen__";

/**
 * A select bound to one URL parameter of the shared filter vocabulary. With `multiple` (the default)
 * it picks several: choosing a value adds it (or, marked ✓, removes it), the chosen ones show as
 * chips with a remove button, and the URL repeats the parameter (`severity=critical&severity=high`).
 * It stays a native select so keyboards, screen readers and `selectOption` work as before.
 */
export function SelectFilter({
  name,
  label,
  options,
  allLabel = "all",
  multiple = true,
}: {
  name: string;
  label: string;
  options: { value: string; label?: string }[];
  allLabel?: string;
  /** Several values (the default); false keeps one value, the choice replacing the last. */
  multiple?: boolean;
}) {
  const { params, set } = useUrlState();
  const chosen = urlValues(params, name);
  const labelOf = (v: string) => options.find((o) => o.value === v)?.label ?? v;
  const extra = chosen.filter((v) => !options.some((o) => o.value === v));
  const value = chosen.length === 0 ? "" : chosen.length === 1 ? chosen[0] : SUMMARY;
  const pick = (v: string) => {
    if (v === "" || v === SUMMARY) return set({ [name]: v === "" ? null : chosen });
    if (!multiple) return set({ [name]: v });
    set({ [name]: chosen.includes(v) ? chosen.filter((x) => x !== v) : [...chosen, v] });
  };
  return (
    <span className="flex flex-wrap items-center gap-1 text-sm" data-testid={`filter-${name}`}>
      <label className="flex items-center gap-1">
        <span className="text-slate-600 dark:text-slate-400">{label}</span>
        <select
          aria-label={label}
          aria-description={multiple ? "Choose a value to add it; choose a ticked one to remove it" : undefined}
          className="max-w-[16rem] rounded border border-slate-300 bg-white px-2 py-1 text-sm dark:border-slate-700 dark:bg-slate-900"
          value={value}
          onChange={(e) => pick(e.target.value)}
        >
          <option value="">{allLabel}</option>
          {chosen.length > 1 && (
            <option value={SUMMARY} disabled hidden>
              {chosen.length} chosen
            </option>
          )}
          {[...options, ...extra.map((v) => ({ value: v, label: v }))].map((o) => (
            <option key={o.value} value={o.value}>
              {multiple && chosen.includes(o.value) && chosen.length > 1 ? "✓ " : ""}
              {o.label ?? o.value}
            </option>
          ))}
        </select>
      </label>
      {multiple &&
        chosen.length > 1 &&
        chosen.map((v) => (
          <span key={v} className="inline-flex items-center gap-0.5 rounded bg-blue-50 px-1.5 py-0.5 text-xs dark:bg-blue-950" data-testid={`chip-${name}`}>
            {labelOf(v)}
            <button type="button" aria-label={`Remove ${label.toLowerCase()} ${labelOf(v)}`} className="px-0.5 text-slate-500 hover:text-red-700" onClick={() => pick(v)}>
              ×
            </button>
          </span>
        ))}
    </span>
  );
}
