/**
 * The last step of `npm run build`: assembles the production app in `.next/app` (or --out DIR), the
 * folder the container image copies to /app and `npm run start:prod` / `npm run scanner:prod` run:
 *
 *   server.js  .next/  node_modules/   Next's standalone output (only the modules the web uses)
 *   .next/static/  public/             the static files Next's standalone output leaves out
 *   web.js  scanner.js  scan.js         our commands, bundled with esbuild to plain JavaScript
 *   k8s-pages.js                        the worker thread that decodes Kubernetes list pages
 *   prisma/migrations/                  applied at start by web.js and scanner.js
 *
 * The bundles keep npm packages external; the files they load are traced (Next's own copy of
 * @vercel/nft) and copied into node_modules beside Next's, so nothing here needs tsx, TypeScript or
 * any dev dependency at run time.
 */
import { cpSync, existsSync, mkdirSync, realpathSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { build, type Plugin } from "esbuild";
import { createRequire } from "node:module";
import { parseCliArgs } from "./args";
import { addStaticFiles, standaloneAppDir } from "./standalone";

type FileTrace = (files: string[], opts: { base: string; processCwd: string; ignore?: (p: string) => boolean }) => Promise<{ fileList: Set<string> }>;
// Next ships nft compiled (CommonJS, no type declarations).
const { nodeFileTrace } = createRequire(import.meta.url)("next/dist/compiled/@vercel/nft") as { nodeFileTrace: FileTrace };

/** The commands built to JavaScript: output name → source. */
export const APP_ENTRIES = { web: "lib/cli/web.ts", scanner: "lib/cli/scanner.ts", scan: "lib/cli/scan.ts" } as const;

/** Worker threads the commands start, bundled beside them (pages.ts finds `k8s-pages.js` next to the bundle). */
export const WORKER_ENTRIES = { "k8s-pages": "lib/sources/k8s/page-worker.ts" } as const;

/** Packages too big to copy whole, whose traced files are enough (plain CommonJS requires). */
const BIG_PACKAGES = new Set(["googleapis", "@kubernetes/client-node", "@prisma/client", "next", "typescript"]);

/** The package folder a file belongs to, inside node_modules: `a/b.js` → `a`, `@s/a/x` → `@s/a`, `a/node_modules/b/x` → `a/node_modules/b`. */
function packageRoot(inModules: string): string {
  const seg = inModules.split(path.sep);
  let root: string[] = [];
  for (let i = 0; i < seg.length; ) {
    const n = seg[i].startsWith("@") ? 2 : 1;
    root = [...root, ...seg.slice(i, i + n)];
    i += n;
    if (seg[i] !== "node_modules") break;
    root.push("node_modules");
    i += 1;
  }
  return root.join(path.sep);
}

/**
 * Keeps npm packages out of the bundles, as `packages: "external"` would, but spells deep imports
 * the way Node's ESM loader wants them: `googleapis/build/src/apis/iam/v1` names a file without its
 * `.js`, which TypeScript's bundler resolution (and tsx) accept and `node` refuses in a package
 * without an exports map.
 */
function externalPackages(projectDir: string): Plugin {
  const req = createRequire(path.join(projectDir, "package.json"));
  return {
    name: "external-packages",
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, (args) => {
        if (args.path.startsWith("node:") || args.path.startsWith("@/")) return undefined;
        const m = /^((?:@[^/]+\/)?[^/]+)\/(.+)$/.exec(args.path);
        if (m && !path.extname(m[2])) {
          try {
            const resolved = req.resolve(args.path);
            if (resolved.endsWith(`${m[2]}.js`)) return { path: `${args.path}.js`, external: true };
          } catch {
            // left for Node to resolve (or to report) at run time
          }
        }
        return { path: args.path, external: true };
      });
    },
  };
}

export async function assembleApp(opts: { projectDir: string; outDir: string }): Promise<{ outDir: string; modules: number }> {
  const { projectDir, outDir } = opts;
  const standalone = path.join(projectDir, ".next", "standalone");
  if (!existsSync(standalone)) throw new Error(`No ${standalone}: run \`next build\` first.`);
  rmSync(outDir, { recursive: true, force: true });
  // dereference: a checkout whose node_modules is a link elsewhere gets real files in the copy.
  cpSync(standaloneAppDir(standalone), outDir, { recursive: true, dereference: true });
  addStaticFiles(projectDir, outDir);
  cpSync(path.join(projectDir, "prisma", "migrations"), path.join(outDir, "prisma", "migrations"), { recursive: true });
  // Next's traced copy of the project's package.json is not needed; ESM ("type": "module") is.
  writeFileSync(path.join(outDir, "package.json"), JSON.stringify({ name: "wi-atlas-app", private: true, type: "module" }, null, 2) + "\n");

  // Bundle inside the project first, so the trace resolves packages from the project's node_modules.
  const staging = path.join(projectDir, ".next", "app-bundles");
  rmSync(staging, { recursive: true, force: true });
  await build({
    entryPoints: Object.fromEntries(Object.entries({ ...APP_ENTRIES, ...WORKER_ENTRIES }).map(([k, v]) => [k, path.join(projectDir, v)])),
    outdir: staging,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    plugins: [externalPackages(projectDir)],
    sourcemap: false,
    logLevel: "warning",
    tsconfig: path.join(projectDir, "tsconfig.json"),
  });
  const files = Object.keys({ ...APP_ENTRIES, ...WORKER_ENTRIES }).map((k) => path.join(staging, `${k}.js`));
  const nodeModules = realpathSync(path.join(projectDir, "node_modules"));
  const base = path.parse(projectDir).root;
  // Only packages are copied; paths the code builds at run time (temporary files, the data folder)
  // are not dependencies, whatever the tracer guesses.
  const trace = await nodeFileTrace(files, { base, processCwd: projectDir, ignore: (p) => !p.split(path.sep).includes("node_modules") && !p.startsWith(path.relative(base, staging)) });
  // The tracer misses files chosen through package "exports" conditions (get-intrinsic's
  // require.mjs, for one), so each package it touches is copied whole; only the few big ones
  // (googleapis is 240 MB, nearly all of it APIs we never load) keep just the traced files.
  const packages = new Set<string>();
  const tracedFiles: string[] = [];
  for (const rel of trace.fileList) {
    let real: string;
    try {
      real = realpathSync(path.join(base, rel));
    } catch {
      continue;
    }
    if (!real.startsWith(nodeModules + path.sep)) continue;
    const inModules = path.relative(nodeModules, real);
    packages.add(packageRoot(inModules));
    if (!statSync(real).isDirectory()) tracedFiles.push(inModules);
  }
  let modules = 0;
  for (const pkg of packages) {
    const dest = path.join(outDir, "node_modules", pkg);
    if (existsSync(dest) || BIG_PACKAGES.has(pkg)) continue;
    cpSync(path.join(nodeModules, pkg), dest, { recursive: true, dereference: true, filter: (src) => !src.slice(path.join(nodeModules, pkg).length).includes(`${path.sep}node_modules${path.sep}`) });
    modules++;
  }
  for (const f of tracedFiles) {
    const dest = path.join(outDir, "node_modules", f);
    if (existsSync(dest)) continue;
    mkdirSync(path.dirname(dest), { recursive: true });
    cpSync(path.join(nodeModules, f), dest);
  }
  for (const f of files) cpSync(f, path.join(outDir, path.basename(f)));
  rmSync(staging, { recursive: true, force: true });
  return { outDir, modules };
}

const invokedDirectly = process.argv[1] && realpathSync(process.argv[1]) === realpathSync(new URL(import.meta.url).pathname);
if (invokedDirectly) {
  const args = parseCliArgs({ out: { type: "string" } }, "Usage: tsx lib/cli/build-app.ts [--out DIR]");
  const outDir = path.resolve(args.out ?? path.join(".next", "app"));
  assembleApp({ projectDir: process.cwd(), outDir }).then(
    (r) => process.stdout.write(`Production app assembled in ${path.relative(process.cwd(), r.outDir)} (${r.modules} packages added to its node_modules for the scanner)\n`),
    (err) => {
      process.stderr.write(`${(err as Error).stack ?? err}\n`);
      process.exit(1);
    },
  );
}
