// A progress line on stderr for long work: shown only on a TTY, only after the first
// second, and never when the caller asked for machine output (it passes enabled=false).
export class Progress {
  private readonly start = Date.now();
  private done_ = 0;
  private lastDraw = 0;
  private drawn = false;

  /** `total` may be set later (a walk still counting) */
  constructor(private readonly enabled: boolean, public total: number, private readonly label: string, private readonly unit: 'MB' | 'files' = 'MB') {}

  add(n: number): void {
    this.done_ += n;
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.start < 1000 || now - this.lastDraw < 100) return;
    this.lastDraw = now;
    this.drawn = true;
    const shown = (x: number) => (this.unit === 'MB' ? (x / 1e6).toFixed(0) : String(x));
    // a total of 0: not known yet (a walk still counting)
    const of = this.total ? `${Math.floor((100 * this.done_) / this.total)}% (${shown(this.done_)}/${shown(this.total)} ${this.unit})` : `${shown(this.done_)} ${this.unit}`;
    process.stderr.write(`\r${this.label} ${of}`);
  }

  done(): void {
    if (this.drawn) process.stderr.write('\r\x1b[K');
  }
}
