import type { Metadata } from "next";
import type { ReactNode } from "react";
import { headers } from "next/headers";
import "./globals.css";
import { Providers } from "./_components/providers";
import { Nav } from "./_components/nav";

export const metadata: Metadata = {
  title: { default: "wi-atlas", template: "%s · wi-atlas" },
  description: "Which Kubernetes workloads use which Google service accounts, and how far the move to Workload Identity has come.",
};

const themeScript = `try{var t=localStorage.getItem("theme");if(t==="dark"||(!t&&matchMedia("(prefers-color-scheme: dark)").matches))document.documentElement.classList.add("dark")}catch(e){}`;

export default async function RootLayout({ children }: { children: ReactNode }) {
  // The proxy's per-request CSP nonce (lib/http/security.ts). Reading the request headers also makes
  // every page render per request, which a nonce needs: a page prerendered at build time would carry
  // no nonce, and the CSP would block its scripts.
  const nonce = (await headers()).get("x-nonce") ?? undefined;
  return (
    <html lang="en" suppressHydrationWarning>
      <head>
        <script nonce={nonce} dangerouslySetInnerHTML={{ __html: themeScript }} />
      </head>
      <body className="min-h-screen antialiased">
        <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:p-2">
          Skip to content
        </a>
        <Providers>
          <Nav />
          <main id="main" className="mx-auto max-w-[1600px] px-4 py-6">
            {children}
          </main>
        </Providers>
      </body>
    </html>
  );
}
