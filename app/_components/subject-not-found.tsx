/** The 404 page of an address that names no object a scan has seen: what was asked, and the way back. */
export function SubjectNotFound({ what, back, backLabel }: { what: string; back: string; backLabel: string }) {
  return (
    <div className="mx-auto max-w-xl py-10" data-testid="not-found">
      <h1 className="text-xl font-semibold">Not found</h1>
      <p className="mt-2 text-sm text-slate-700 dark:text-slate-300">
        No scan has seen {what}, and nothing in the analysis names it. It may have been typed or copied wrongly, or belong to a project or cluster outside the scan&apos;s scope (see{" "}
        <a href="/coverage">Coverage</a>).
      </p>
      <p className="mt-4 text-sm">
        <a href={back}>← Back to {backLabel}</a>
      </p>
    </div>
  );
}
