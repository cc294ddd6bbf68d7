// Decides which results become history records (events, not every frame): when the set of shown tags
// changes to something, and at most every `intervalMs` while detections continue. Snapshots are the
// user's own and always recorded. Pure and clock-free: time comes in as an argument.
import type { RecordReason } from './history-types.ts';

export interface RecorderOptions {
  /** While the same tags stay in view, record again after this long (ms); 0 turns that off. */
  readonly intervalMs: number;
}

export const DEFAULT_RECORDER: RecorderOptions = { intervalMs: 10_000 };

export class HistoryRecorder {
  private lastTags = '';
  private lastWrite = Number.NEGATIVE_INFINITY;

  constructor(private options: RecorderOptions = DEFAULT_RECORDER) {}

  setOptions(options: RecorderOptions): void {
    this.options = options;
  }

  /** Why this result should be recorded, or undefined when it should not. */
  decide(shownTags: readonly string[], now: number): RecordReason | undefined {
    const key = [...new Set(shownTags)].sort().join('\n');
    const changed = key !== this.lastTags;
    this.lastTags = key;
    // An empty view is not an event worth a picture; the next thing to appear is.
    if (key === '') return undefined;
    if (changed) return this.wrote(now, 'tags-changed');
    if (this.options.intervalMs > 0 && now - this.lastWrite >= this.options.intervalMs)
      return this.wrote(now, 'interval');
    return undefined;
  }

  private wrote(now: number, reason: RecordReason): RecordReason {
    this.lastWrite = now;
    return reason;
  }
}
