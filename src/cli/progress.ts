/** Progress display: one rewritten line on a terminal, plain periodic lines otherwise. */
import type { ProgressInfo } from '../train/trainer.js';

function duration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  const sec = Math.round(s % 60);
  return m > 0 ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}

export class ProgressView {
  private readonly tty: boolean;
  private active = false;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {
    this.tty = Boolean(stream.isTTY);
  }

  update(p: ProgressInfo): void {
    const frac = p.batch / p.batches;
    const text = `epoch ${p.epoch}/${p.epochs} batch ${p.batch}/${p.batches} loss ${p.loss.toFixed(4)} ${p.imagesPerSecond.toFixed(1)} img/s ETA ${duration(p.etaSeconds)}`;
    if (this.tty) {
      const width = 24;
      const filled = Math.round(frac * width);
      const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
      this.stream.write(`\r\x1b[2K${bar} ${text}`);
      this.active = true;
    } else {
      this.stream.write(`${text}\n`);
    }
  }

  /** End the in-place line before other output. */
  clear(): void {
    if (this.tty && this.active) this.stream.write('\r\x1b[2K');
    this.active = false;
  }
}
