// Starts the page worker from TypeScript (a checkout run with tsx, Vitest): registers tsx's loader
// in this thread, then loads page-worker.ts. The built app runs k8s-pages.js, a plain bundle, instead.
import { register } from "tsx/esm/api";
register();
await import("./page-worker.ts");
