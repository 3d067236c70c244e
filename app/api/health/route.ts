import { serverDb } from "@/lib/store/db";
import { lastScan } from "@/lib/store/queries";
import { checkUrl, newErrorId, problemResponse } from "@/lib/api/respond";
import { log } from "@/lib/log";
import { config } from "@/lib/config";
import { currentActor } from "@/lib/auth/authenticate";

export const dynamic = "force-dynamic";

/**
 * Liveness and readiness: database reachability and the last scan's time and outcome.
 * `?require=scan` answers 503 until a scan has finished (for start-up scripts and test runners).
 * Open to all (load balancer checks carry no identity), but with sign-in on, a caller without a
 * session learns only `{"status"}`: no database error text, no scan ids or errors.
 */
export async function GET(req: Request) {
  try {
    checkUrl(req.url);
  } catch (err) {
    return problemResponse(err);
  }
  const requireScan = new URL(req.url).searchParams.get("require") === "scan";
  const headers = { "cache-control": "no-store" };
  const isDetailed = config().authMode === "none" || (await currentActor(req).catch(() => ({ actor: null }))).actor !== null;
  const started = Date.now();
  try {
    const db = serverDb();
    await db.pool.query("select 1");
    const latencyMs = Date.now() - started;
    const scan = await lastScan(db);
    const finished = await lastScan(db, { finishedOnly: true });
    const status = requireScan && !finished ? 503 : 200;
    if (!isDetailed) return Response.json({ status: status === 200 ? "ok" : "starting" }, { status, headers });
    return Response.json(
      {
        status: "ok",
        database: { reachable: true, latencyMs },
        lastScan: scan ? { id: scan.id, status: scan.status, startedAt: scan.startedAt, finishedAt: scan.finishedAt, error: scan.error } : null,
      },
      { status, headers },
    );
  } catch (err) {
    if (!isDetailed) return Response.json({ status: "error" }, { status: 503, headers });
    // The driver's message can name hosts, users and databases: it goes to the log, not to the caller.
    const errorId = newErrorId();
    log.error(`Health check: the database is not reachable (error id ${errorId}):`, err);
    return Response.json(
      { status: "error", database: { reachable: false, error: `The database is not reachable (error id ${errorId})` }, lastScan: null },
      { status: 503, headers },
    );
  }
}
