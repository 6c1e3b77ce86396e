/**
 * A one-line progress bar for long steps: redrawn in place on a terminal, printed every 10% otherwise (CI logs).
 */
export class ProgressBar {
  private lastPrinted = -1;
  private readonly started = Date.now();
  private readonly tty = Boolean(process.stdout.isTTY);

  constructor(
    private readonly label: string,
    private total: number,
  ) {}

  update(done: number, detail = "", total = this.total): void {
    this.total = total;
    const share = total > 0 ? Math.min(1, done / total) : 0;
    const width = 24;
    const filled = Math.round(share * width);
    const elapsed = (Date.now() - this.started) / 1000;
    const eta = share > 0 && share < 1 ? ` eta ${formatSeconds((elapsed / share) * (1 - share))}` : "";
    const line = `  ${this.label} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${total}${eta} ${detail}`;
    if (this.tty) {
      process.stdout.write(`\r${line.padEnd(110).slice(0, 140)}`);
    } else {
      const decile = Math.floor(share * 10);
      if (decile > this.lastPrinted) {
        this.lastPrinted = decile;
        process.stdout.write(`${line}\n`);
      }
    }
  }

  done(summary = ""): void {
    const line = `  ${this.label}: done in ${formatSeconds((Date.now() - this.started) / 1000)} ${summary}`;
    process.stdout.write(this.tty ? `\r${line.padEnd(110)}\n` : `${line}\n`);
  }
}

export function formatSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(0)}s`;
  return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, "0")}s`;
}
