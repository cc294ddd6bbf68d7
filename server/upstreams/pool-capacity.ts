// What both worker-pool upstreams (the embedded detector, an exported model) answer alike: a prediction
// with its stages in Server-Timing, and their capacity measured from the workers' own job times.
import type { UpstreamAnswer } from './upstream.ts';

export interface StageTiming {
  readonly decodeMs: number;
  readonly modelMs: number;
  readonly postprocessMs: number;
}

/** A 200 answer with the prediction; Server-Timing lets clients and benchmarks see where the time went. */
export function timedPredictionAnswer(prediction: unknown, timing: StageTiming): UpstreamAnswer {
  const { decodeMs, modelMs, postprocessMs } = timing;
  return {
    status: 200,
    headers: {
      'Content-Type': 'application/json; charset=utf-8',
      'Server-Timing': `decode;dur=${decodeMs.toFixed(1)}, model;dur=${modelMs.toFixed(1)}, postprocess;dur=${postprocessMs.toFixed(1)}`,
    },
    body: Buffer.from(JSON.stringify(prediction)),
  };
}

/**
 * One image per ready worker per median job time (400 ms assumed before any job), at least one every two
 * seconds; storing changes nothing for a pool in this process.
 */
export function measuredPoolBudget(
  stats: { readonly readyWorkers: number; readonly medianJobMs?: number | undefined },
  basis: string,
) {
  const jobMs = stats.medianJobMs ?? 400;
  const perSecond = Math.max(0.5, Math.round(((stats.readyWorkers || 1) * 1000 * 10) / jobMs) / 10);
  return { nostorePerSecond: perSecond, storePerSecond: perSecond, basis };
}
