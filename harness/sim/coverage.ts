// "Sometimes" coverage: named counters a run bumps when it reaches an interesting
// case (a leader change with uncommitted entries, a torn record, a dropped
// duplicate...). A batch of seeds that never reached a case it requires reports
// that, instead of passing without having tested it.

export class Coverage {
  private counts = new Map<string, number>();

  hit(name: string, n = 1): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + n);
  }

  get(name: string): number {
    return this.counts.get(name) ?? 0;
  }

  /** Counters in name order, so reports and hashes never depend on insertion order. */
  entries(): [string, number][] {
    return [...this.counts.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }
}

/** Sums coverage over the seeds of a batch and says which required cases were never reached. */
export class CoverageBatch {
  private totals = new Coverage();
  seeds = 0;

  add(run: Coverage): void {
    this.seeds++;
    for (const [name, n] of run.entries()) this.totals.hit(name, n);
  }

  get(name: string): number {
    return this.totals.get(name);
  }

  entries(): [string, number][] {
    return this.totals.entries();
  }

  /** The required counters that stayed at zero across the batch, sorted. */
  missing(required: readonly string[]): string[] {
    return [...required].filter((name) => this.totals.get(name) === 0).sort();
  }

  /** A message for a batch that missed cases, or undefined when it reached all of them. */
  explainMissing(required: readonly string[]): string | undefined {
    const missing = this.missing(required);
    if (missing.length === 0) return undefined;
    return `over ${this.seeds} seeds the run never reached: ${missing.join(", ")}. Run more seeds (--seeds N) or turn up the faults; a pass that never tested these cases would prove nothing`;
  }
}
