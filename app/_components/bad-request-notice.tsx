"use client";
import { ApiError } from "./fetch-json";

/**
 * A view whose URL the server refused (400): the message names the parameter and what it accepts.
 * Shown instead of the table — an empty table would read as a clean bill of health — with the way out:
 * the last page for a page past the end, else dropping the parameter.
 */
export function BadRequestNotice({ error, onFix }: { error: ApiError; onFix: (parameter: string, value: string | null) => void }) {
  const parameter = typeof error.details.parameter === "string" ? error.details.parameter : null;
  const lastPage = typeof error.details.lastPage === "number" ? error.details.lastPage : null;
  return (
    <div role="alert" data-testid="bad-request-notice" className="rounded-md border border-amber-400 bg-amber-50 p-4 text-sm text-amber-900 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-100">
      <p className="font-medium">This address asks for something the table cannot show{parameter ? <> (parameter <code className="mono">{parameter}</code>)</> : null}.</p>
      <p className="mt-1">{error.message}</p>
      <p className="mt-1 text-xs">Nothing is hidden: no rows were checked against this filter. Fix the parameter to see the table.</p>
      {parameter && (
        <button type="button" onClick={() => onFix(parameter, lastPage ? String(lastPage) : null)} className="mt-2 rounded border border-amber-500 px-2 py-1 text-xs hover:bg-amber-100 dark:hover:bg-amber-900">
          {lastPage ? `Go to the last page (${lastPage})` : `Remove ${parameter} from the address`}
        </button>
      )}
    </div>
  );
}
