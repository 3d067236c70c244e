"use client";
import { Suspense } from "react";
import { useQuery } from "@tanstack/react-query";
import { DataTable } from "./data-table";
import { FilterBar } from "./filter-bar";
import { SelectFilter } from "./select-filter";
import { PageHeader, Spinner } from "./ui";
import { fetchJson } from "./fetch-json";
import { SourceFailureBanner } from "./source-failure";

type RuleInfo = { id: string; severity: string; title: string; why: string; absence: boolean };

function Extra() {
  const rules = useQuery({ queryKey: ["rules"], queryFn: () => fetchJson<{ rules: RuleInfo[] }>("/api/rules"), staleTime: Infinity });
  return (
    <>
      <SelectFilter name="rule" label="Rule" options={(rules.data?.rules ?? []).map((r) => ({ value: r.id }))} />
      <SelectFilter name="severity" label="Severity" options={["critical", "high", "medium", "low", "info"].map((v) => ({ value: v }))} />
      <SelectFilter name="state" label="State" options={["open", "unverified", "suppressed"].map((v) => ({ value: v }))} />
    </>
  );
}

export function FindingsView() {
  return (
    <div>
      <PageHeader
        title="Findings"
        description="What is wrong or risky, by rule. Unverified means a source the rule needs failed or was out of scope — it is neither a pass nor a guess. Open a subject to see its fixes and to accept a finding."
      />
      <SourceFailureBanner what="The findings (those a failed source decides are unverified, not passed)" />
      <Suspense fallback={<Spinner />}>
        <FilterBar show={["project", "cluster", "namespace", "owner", "q"]} extra={<Extra />} />
        <DataTable table="findings" emptyText="No findings match these filters." />
      </Suspense>
    </div>
  );
}
