-- Issue #11: an admin's "Accept retirement" asks for a scan that applies a mass retirement the guard
-- (WI_ATLAS_MAX_RETIRE_PERCENT) held back. The web only writes the request; the flag travels on the
-- requested scan row to the scanner that claims it.
ALTER TABLE "scan" ADD COLUMN "accept_retirement" BOOLEAN NOT NULL DEFAULT false;
