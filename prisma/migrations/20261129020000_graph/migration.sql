-- The Workload Identity graph is stored with the analysis: graph-node rows (subject = node id) and
-- graph-edge rows (subject = source, target = destination), versioned like every analysis row.
ALTER TABLE "analysis_object" ADD COLUMN "target" TEXT;

-- Hand-written partial indexes: walking the graph from any node, both directions.
CREATE INDEX "analysis_object_current_target_idx" ON "analysis_object"("kind", "target") WHERE "valid_to" IS NULL;

-- Search across names, emails, key ids and subjects.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX "inventory_object_current_subject_trgm_idx" ON "inventory_object" USING gin ("subject" gin_trgm_ops) WHERE "valid_to" IS NULL;
