/** Where Next's standalone output keeps its server, and the static files it leaves for us to add. */
import { cpSync, existsSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";

/** The folder inside .next/standalone that holds server.js (nested when node_modules lives above the project). */
export function standaloneAppDir(standalone: string): string {
  const queue = [standalone];
  while (queue.length) {
    const dir = queue.shift()!;
    if (existsSync(path.join(dir, "server.js"))) return dir;
    if (!existsSync(dir)) continue;
    for (const d of readdirSync(dir, { withFileTypes: true })) {
      if (d.isDirectory() && d.name !== "node_modules" && d.name !== ".next") queue.push(path.join(dir, d.name));
    }
  }
  throw new Error(`No server.js under ${standalone}: is output: "standalone" set in next.config.js, and did \`next build\` finish?`);
}

/**
 * Copies .next/static and public/ beside the standalone server (Next leaves them out, expecting a CDN
 * or a copy step), replacing what an earlier build left there.
 */
export function addStaticFiles(projectDir: string, appDir: string): void {
  rmSync(path.join(appDir, ".next", "static"), { recursive: true, force: true });
  cpSync(path.join(projectDir, ".next", "static"), path.join(appDir, ".next", "static"), { recursive: true });
  if (existsSync(path.join(projectDir, "public"))) {
    rmSync(path.join(appDir, "public"), { recursive: true, force: true });
    cpSync(path.join(projectDir, "public"), path.join(appDir, "public"), { recursive: true });
  }
}
