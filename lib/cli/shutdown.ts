/**
 * Every command stops what it started: cleanups registered here run once, newest first, however the
 * command ends — its work done, an error thrown, or Ctrl-C / SIGTERM — and only then does it exit.
 * (`process.on("exit")` cannot do this: it runs no asynchronous work, and stopping a child process or
 * the embedded PostgreSQL is asynchronous.)
 */
type Cleanup = { name: string; fn: () => Promise<void> | void };

const cleanups: Cleanup[] = [];
let exiting: Promise<never> | undefined;

/** Registers `fn` to run when the command ends; returns a function that unregisters it. */
export function onShutdown(name: string, fn: () => Promise<void> | void): () => void {
  const c = { name, fn };
  cleanups.push(c);
  return () => {
    const i = cleanups.indexOf(c);
    if (i >= 0) cleanups.splice(i, 1);
  };
}

/** Runs every cleanup (newest first; one failing does not stop the others), then exits with `code`. */
export function shutdown(code: number): Promise<never> {
  exiting ??= (async () => {
    while (cleanups.length) {
      const c = cleanups.pop()!;
      try {
        await c.fn();
      } catch (err) {
        process.stderr.write(`Stopping ${c.name} failed: ${(err as Error).message}\n`);
      }
    }
    process.exit(code);
  })();
  return exiting;
}

/**
 * Runs a command's `main`: its result is the exit code (0 when it returns nothing); a thrown error
 * is printed and exits 1; SIGINT exits 130 and SIGTERM 143 — each after the cleanups ran.
 */
export function runMain(main: () => Promise<number | void>, opts: { onError?: (err: unknown) => void } = {}): void {
  process.once("SIGINT", () => void shutdown(130));
  process.once("SIGTERM", () => void shutdown(143));
  main().then(
    (code) => void shutdown(code ?? 0),
    (err) => {
      if (opts.onError) opts.onError(err);
      else process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
      void shutdown(1);
    },
  );
}
