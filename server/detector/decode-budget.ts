// The detector pool's memory budget: each image's decode cost is estimated from its header first
// (image-probe.ts), and the images running together stay within the budget; others wait.
import type { JobAdmission } from '../workers/worker-pool.ts';
import { ORDINARY_DECODE_BYTES } from './image-probe.ts';

export class DecodeBudget implements JobAdmission {
  /** Estimated decode memory of the jobs running now. */
  bytesInUse = 0;

  constructor(readonly budgetBytes: number) {}

  /** Within the budget, or alone (every job fits alone). */
  fits(cost: number): boolean {
    return this.bytesInUse === 0 || this.bytesInUse + cost <= this.budgetBytes;
  }

  /**
   * The first waiting job that fits the memory left. Ordinary images pass one that waits for memory;
   * larger ones queue behind it, or a stream of them could keep it waiting for ever.
   */
  next(waiting: readonly { readonly cost: number }[]): number {
    let blocked = false;
    for (const [index, job] of waiting.entries()) {
      if ((!blocked || job.cost <= ORDINARY_DECODE_BYTES) && this.fits(job.cost)) return index;
      blocked = true;
    }
    return -1;
  }

  started(cost: number): void {
    this.bytesInUse += cost;
  }

  ended(cost: number): void {
    this.bytesInUse -= cost;
  }
}
