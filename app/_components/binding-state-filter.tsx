"use client";
import { SelectFilter } from "./select-filter";

export function BindingStateFilter() {
  return <SelectFilter name="state" label="State" options={["ok", "not-annotated", "stale", "unverified", "broad", "deleted", "inactive", "other"].map((v) => ({ value: v }))} />;
}
