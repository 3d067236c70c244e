import type { Metadata } from "next";

export const metadata: Metadata = { title: "Signed out" };

export default function Page() {
  return (
    <div className="mx-auto max-w-xl py-12">
      <h1 className="mb-2 text-xl font-semibold">You are signed out of wi-atlas</h1>
      <p className="mb-4 text-sm text-slate-700 dark:text-slate-300">Your session with the identity provider itself is unchanged.</p>
      <a href="/api/auth/login" className="rounded bg-slate-900 px-3 py-1 text-white hover:no-underline dark:bg-slate-100 dark:text-slate-900">
        Sign in again
      </a>
    </div>
  );
}
