-- Issue #6: indexes for what large estates sort and look up most.

-- The findings table's default order (severity rank, rule, subject): the first page is read from
-- the index instead of sorting every current finding.
CREATE INDEX "analysis_object_current_finding_order_idx" ON "analysis_object" (
  (CASE "severity" WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END), "rule", "subject"
) WHERE "kind" = 'finding' AND "valid_to" IS NULL;

-- Fewer indexes to maintain on every write (a first scan of a large organisation inserts hundreds
-- of thousands of versions), and the ones history lookups need:
-- * a row's end is indexed only once it has one (retention deletes by it); new rows skip the index;
DROP INDEX "analysis_object_valid_to_idx";
CREATE INDEX "analysis_object_valid_to_idx" ON "analysis_object"("valid_to") WHERE "valid_to" IS NOT NULL;
DROP INDEX "inventory_object_valid_to_idx";
CREATE INDEX "inventory_object_valid_to_idx" ON "inventory_object"("valid_to") WHERE "valid_to" IS NOT NULL;
-- * nothing looks rows up by their start alone (the changes diff reads kinds over a scan range);
DROP INDEX "analysis_object_valid_from_idx";
DROP INDEX "inventory_object_valid_from_idx";
-- * rule filters on findings use the finding order index (PostgreSQL 18 skips over its leading rank);
DROP INDEX "analysis_object_kind_rule_idx";
-- * timelines read every version of one subject: index subject for all versions, not only current.
DROP INDEX "analysis_object_current_subject_idx";
CREATE INDEX "analysis_object_subject_kind_idx" ON "analysis_object"("subject", "kind");
-- * current rows by source have their own partial index.
DROP INDEX "inventory_object_source_idx";
-- * the trigram index serves search, which only looks at these kinds (pods, nodes, policies and
--   activity records are most of the rows and are never searched by name).
DROP INDEX "inventory_object_current_subject_trgm_idx";
CREATE INDEX "inventory_object_current_subject_trgm_idx" ON "inventory_object" USING gin ("subject" gin_trgm_ops)
  WHERE "valid_to" IS NULL AND "kind" IN ('gsa', 'ksa', 'workload', 'key', 'cluster', 'namespace', 'secret', 'nodepool', 'project');
-- * analysis filter and account indexes are for the tables, not the graph's many node and edge rows.
DROP INDEX "analysis_object_current_filters_idx";
CREATE INDEX "analysis_object_current_filters_idx" ON "analysis_object"("kind", "project", "cluster", "namespace")
  WHERE "valid_to" IS NULL AND "kind" IN ('finding', 'workload-status', 'workload-summary', 'binding', 'gsa-usage');
DROP INDEX "analysis_object_current_gsa_idx";
CREATE INDEX "analysis_object_current_gsa_idx" ON "analysis_object"("kind", "gsa")
  WHERE "valid_to" IS NULL AND "kind" IN ('finding', 'workload-status', 'workload-summary', 'binding', 'gsa-usage');
DROP INDEX "analysis_object_current_target_idx";
CREATE INDEX "analysis_object_current_target_idx" ON "analysis_object"("kind", "target") WHERE "valid_to" IS NULL AND "kind" = 'graph-edge';
