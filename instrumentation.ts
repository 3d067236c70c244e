/**
 * Next.js calls register() once when the web server starts. The web server never scans (the scanner
 * process does: lib/scan/scanner.ts); here it only says, once, which sign-in settings cannot do what
 * they say (e.g. group: entries under IAP, whose JWT carries no groups). Import nothing that talks to
 * Google or Kubernetes: the image's smoke test checks the web bundle holds no such client.
 */
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  try {
    const [{ config: cfg }, { authWarnings }, { log }] = await Promise.all([import("./lib/config"), import("./lib/auth/authenticate"), import("./lib/log")]);
    for (const w of authWarnings(cfg())) log.warn(w);
  } catch (err) {
    console.error("Configuration:", (err as Error).message);
  }
}
