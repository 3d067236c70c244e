-- Issue #14: a scan split into N shards that run as separate processes (separate machines),
-- coordinated only through PostgreSQL. The scan row says how many shards it has and which run it
-- belongs to (a Kubernetes Job's controller-uid, a Cloud Run execution); each shard has a row with its
-- lease (heartbeat) and, once it has collected its slice, its sources' outcomes. The shard that
-- finishes last applies the scan. Unsharded scans keep shards = 1 and the scan lock.
ALTER TABLE "scan" ADD COLUMN "shards" INTEGER NOT NULL DEFAULT 1;
ALTER TABLE "scan" ADD COLUMN "run_key" TEXT;
ALTER TABLE "scan" ADD COLUMN "applier" INTEGER;

CREATE TABLE "scan_shard" (
    "scan_id" INTEGER NOT NULL,
    "shard" INTEGER NOT NULL,
    -- running | collected | failed
    "status" TEXT NOT NULL,
    "runner" TEXT NOT NULL,
    "attempt" INTEGER NOT NULL DEFAULT 1,
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "heartbeat_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMPTZ(3),
    "progress" JSONB,
    -- What the shard collected: its sources' outcomes (no records), objects per kind, requests per API.
    "result" JSONB,
    "error" TEXT,
    CONSTRAINT "scan_shard_pkey" PRIMARY KEY ("scan_id", "shard")
);
ALTER TABLE "scan_shard" ADD CONSTRAINT "scan_shard_scan_id_fkey" FOREIGN KEY ("scan_id") REFERENCES "scan"("id") ON DELETE CASCADE ON UPDATE CASCADE;
