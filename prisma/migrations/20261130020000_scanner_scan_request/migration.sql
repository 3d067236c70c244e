-- Issue #11: the web server asks for a scan by writing a scan row in status 'requested'; a scanner
-- process claims it (status 'running') when it takes the scan lock. A request is a scan that has not
-- started yet, so its id, trigger, cancel flag and history are the scan's own, and a later lease
-- (issue #14) is one more column on the same row.

-- At most one scan waits at a time: a second "Scan now" finds the first instead of queueing another.
CREATE UNIQUE INDEX "scan_one_requested_idx" ON "scan" ((true)) WHERE "status" = 'requested';
