// The recent durations of one kind of job, for the figures a pool reports and the waits it advises.

/** How many of the latest samples count: enough for a steady median, few enough to follow a change. */
const KEPT = 50;

export class RecentTimes {
  private readonly samples: number[] = [];

  add(ms: number): void {
    this.samples.push(ms);
    if (this.samples.length > KEPT) this.samples.shift();
  }

  /** The median of the kept samples; undefined before the first. */
  median(): number | undefined {
    const sorted = [...this.samples].sort((a, b) => a - b);
    return sorted.length ? sorted[Math.floor(sorted.length / 2)] : undefined;
  }
}
