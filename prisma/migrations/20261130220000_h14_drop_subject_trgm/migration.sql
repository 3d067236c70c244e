-- Issue #14: the trigram index on current subjects is dropped. No query uses it: the search box
-- matches the subject OR the name, display name or annotation (which one index on subject cannot
-- serve), and the inventory tables' q= filters scan one kind's current rows (at org-l, 20,306
-- workloads or 15,000 keys: 13-14 ms without the index, measured). Maintaining it cost about a third
-- of a first scan's inventory insert, which a scan waits on. The pg_trgm extension stays installed
-- (dropping an extension is not this migration's business).
DROP INDEX IF EXISTS "inventory_object_current_subject_trgm_idx";
