/** Live progress of a scan, persisted on the scan row so every replica's UI can show it. */
export type ScanProgress = {
  phase: "starting" | "discovering" | "collecting" | "storing" | "analysing" | "done";
  sourcesTotal: number;
  sourcesDone: number;
  sourcesFailed: number;
  objects: number;
  requests: number;
  errors: string[];
  startedAt: string;
  updatedAt: string;
};

export class Progress {
  state: ScanProgress;
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;

  constructor(
    private readonly onFlush: (p: ScanProgress) => void | Promise<void>,
    private readonly everyMs = 500,
  ) {
    const now = new Date().toISOString();
    this.state = { phase: "starting", sourcesTotal: 0, sourcesDone: 0, sourcesFailed: 0, objects: 0, requests: 0, errors: [], startedAt: now, updatedAt: now };
  }

  update(change: (s: ScanProgress) => void) {
    change(this.state);
    this.state.updatedAt = new Date().toISOString();
    this.dirty = true;
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.flush();
      }, this.everyMs);
    }
  }

  async flush() {
    if (!this.dirty) return;
    this.dirty = false;
    await this.onFlush(structuredClone(this.state));
  }

  stop() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
