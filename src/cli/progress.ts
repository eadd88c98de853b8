// One progress line on a terminal's standard error, redrawn at most ten times a second; nothing at
// all when standard error is a file or a pipe (logs stay clean).

export class ProgressLine {
  private last = 0;
  private drawn = false;
  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  get active(): boolean {
    return this.stream.isTTY === true;
  }

  /** a bar of `done` out of `total` with a label before it and details after */
  bar(label: string, done: number, total: number, after = ''): void {
    const now = performance.now();
    if (!this.active || (now - this.last < 100 && done < total)) return;
    this.last = now;
    const w = 24, filled = total > 0 ? Math.round((Math.min(done, total) / total) * w) : 0;
    this.stream.write(`\r\x1b[K${label} [${'#'.repeat(filled)}${'.'.repeat(w - filled)}] ${after}`);
    this.drawn = true;
  }

  /** erases the line, so that the next console.log starts clean */
  clear(): void {
    if (this.drawn) this.stream.write('\r\x1b[K');
    this.drawn = false;
  }
}

/** '12.3 MB' */
export const megabytes = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;
