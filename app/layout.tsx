import type { Metadata } from "next";
import type { ReactNode } from "react";
import "./globals.css";
import { Providers } from "./_components/providers";
import { Nav } from "./_components/nav";

export const metadata: Metadata = {
  title: { default: "wi-atlas", template: "%s · wi-atlas" },
  description: "Which Kubernetes workloads use which Google service accounts, and how far the move to Workload Identity has come.",
};

const themeScript = `try{var t=localStorage.getItem("theme");if(t==="dark"||(!t&&matchMedia("(prefers-color-scheme: dark)").matches))document.documentElement.classList.add("dark")}catch(e){}`;

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en" suppressHydrationWarning>
      <head>
        <script dangerouslySetInnerHTML={{ __html: themeScript }} />
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
