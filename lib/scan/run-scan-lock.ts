/** The single scan's lock key and the error a scan that cannot start now throws (shared by run-scan and the shard lease). */
export const SCAN_LOCK_KEY = 7_231_504_119;

export class ScanBusyError extends Error {
  constructor(readonly running: { id: number; startedAt: string; trigger: string } | null) {
    super(running ? `Scan #${running.id} (started ${running.startedAt}, ${running.trigger}) is still running` : "Another scan is running");
    this.name = "ScanBusyError";
  }
}
