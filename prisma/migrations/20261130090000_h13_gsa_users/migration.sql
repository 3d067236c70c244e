-- Who uses each GSA, by any path (analysis rows of kind 'gsa-user', one per GSA and workload): the GSA
-- page lists them by account, the workloads table's gsa= filter looks them up by workload.
CREATE INDEX "analysis_object_current_gsa_user_idx" ON "analysis_object"("gsa", "subject") WHERE "valid_to" IS NULL AND "kind" = 'gsa-user';
