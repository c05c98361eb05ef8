import type { ProgressUpdate } from '../wait-for-generation';

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/**
 * Step progress on stderr. On a terminal one line is redrawn in place; elsewhere (CI logs,
 * pipes) each change is its own line, so a log shows the real steps instead of escape codes.
 */
export class ProgressBar {
  private readonly started = Date.now();
  private drawn = false;

  constructor(
    private readonly out: ProgressStream,
    private readonly label: string,
  ) {}

  update(update: ProgressUpdate): void {
    const seconds = ((Date.now() - this.started) / 1000).toFixed(1);
    const steps = update.total > 0 ? ` step ${update.step}/${update.total}` : '';
    if (!this.out.isTTY) {
      this.out.write(`${this.label} ${update.status}${steps} ${seconds}s\n`);
      return;
    }
    const percent = `${Math.round(update.fraction * 100)}%`.padStart(4);
    const tail = ` ${percent}${steps} ${update.status} ${seconds}s`;
    const width = Math.max(10, Math.min(40, (this.out.columns ?? 80) - tail.length - this.label.length - 4));
    const filled = Math.round(update.fraction * width);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    this.out.write(`\r\x1b[2K${this.label} ${bar}${tail}`);
    this.drawn = true;
  }

  /** Ends the redrawn line so what follows starts on a fresh one. */
  finish(): void {
    if (this.drawn) this.out.write('\n');
    this.drawn = false;
  }
}
