/**
 * The longest chain of dependent requests a scan made: the floor under its wall time however much
 * concurrency it has (a second page cannot be asked for before the first arrives; keys cannot be
 * listed before their accounts are). Each *flow* of work carries the depth it has reached; a request
 * made in a flow is one deeper, and a flow started from another (a source, a project, a cluster)
 * starts where its parent stands. Tracked with AsyncLocalStorage, so the collector only marks where
 * work forks; the request sites stay as they are.
 */
import { AsyncLocalStorage } from "node:async_hooks";

type Flow = { depth: number };
const flows = new AsyncLocalStorage<Flow>();

/**
 * Runs `fn` as its own flow, starting at the current depth. With `join`, the current flow then
 * continues from the deepest point `fn` reached (what follows depended on it).
 */
export async function inFlow<T>(fn: () => Promise<T>, join = false): Promise<T> {
  const parent = flows.getStore();
  const own: Flow = { depth: parent?.depth ?? 0 };
  try {
    return await flows.run(own, fn);
  } finally {
    if (parent && join) parent.depth = Math.max(parent.depth, own.depth);
  }
}

/** Marks one request in the current flow: returns its depth and a function to call when it ends. */
export function chainStep(): { depth: number; end: () => void } {
  const flow = flows.getStore();
  const depth = (flow?.depth ?? 0) + 1;
  return {
    depth,
    end: () => {
      if (flow) flow.depth = Math.max(flow.depth, depth);
    },
  };
}

/** The depth the current flow has reached. */
export function currentDepth(): number {
  return flows.getStore()?.depth ?? 0;
}

/** Moves the current flow on to `depth` (it waited for work done in another flow). */
export function advanceTo(depth: number) {
  const flow = flows.getStore();
  if (flow && depth > flow.depth) flow.depth = depth;
}
