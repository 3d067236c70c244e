-- Issue #6: indexes for what large estates sort and look up most.

-- The findings table's default order (severity rank, rule, subject): the first page is read from
-- the index instead of sorting every current finding.
CREATE INDEX "analysis_object_current_finding_order_idx" ON "analysis_object" (
  (CASE "severity" WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END), "rule", "subject"
) WHERE "kind" = 'finding' AND "valid_to" IS NULL;
