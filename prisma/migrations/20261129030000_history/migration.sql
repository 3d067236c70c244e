-- Retention keeps a pruned scan's row (so timelines still read "first seen") but drops its details.
ALTER TABLE "scan" ADD COLUMN "pruned_at" TIMESTAMPTZ(3);
CREATE INDEX "scan_started_at_idx" ON "scan"("started_at");

-- The scan in which each object's current run of versions began, carried across its changes, so its
-- timeline keeps "first seen" after retention removes its older versions.
ALTER TABLE "inventory_object" ADD COLUMN "first_seen" INTEGER;
UPDATE "inventory_object" SET "first_seen" = "valid_from";
