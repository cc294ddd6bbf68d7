// The project's iterations as the iterations panel shows them, and a training run followed to its end.
// Status is polled no faster than the training budget allows and never faster than every two seconds:
// Custom Vision trains for minutes, and each poll is a call the outbox could have used.
import type { TrainingPace } from '../../api/server-info.ts';
import type {
  IterationInfo,
  IterationPerformance,
  TrainingClient,
  TrainingFailure,
} from '../../api/training-client.ts';

export const MIN_POLL_MS = 2_000;

/** Iterations Custom Vision has finished with, one way or the other. */
export const isSettled = (iteration: Pick<IterationInfo, 'status'>): boolean =>
  iteration.status === 'Completed' || iteration.status === 'Failed';

export const pollIntervalMs = (pace: TrainingPace): number =>
  Math.max(MIN_POLL_MS, 1000 / pace.callsPerSecond);

export interface IterationRow {
  readonly iteration: IterationInfo;
  /** Precision, recall and mAP of a completed iteration, when the performance call answered. */
  readonly performance: IterationPerformance | undefined;
  /** Whether the app's published name points at this iteration. */
  readonly published: boolean;
}

type Client = Pick<
  TrainingClient,
  'getIterations' | 'getIteration' | 'getIterationPerformance' | 'trainProject' | 'publishIteration'
>;

/** Newest first, completed ones with their performance. */
export async function loadIterations(
  client: Client,
  publishedName: string,
  signal?: AbortSignal,
): Promise<{ ok: true; rows: IterationRow[] } | { ok: false; failure: TrainingFailure }> {
  const listed = await client.getIterations(signal);
  if (!listed.ok) return listed;
  const newestFirst = [...listed.value].sort((a, b) => (b.created ?? '').localeCompare(a.created ?? ''));
  const rows = await Promise.all(
    newestFirst.map(async (iteration): Promise<IterationRow> => {
      const performance =
        iteration.status === 'Completed'
          ? await client.getIterationPerformance(iteration.id, 0.5, 0.3, signal)
          : undefined;
      return {
        iteration,
        performance: performance?.ok ? performance.value : undefined,
        published: iteration.publishName === publishedName,
      };
    }),
  );
  return { ok: true, rows };
}

/**
 * Follows an iteration until Custom Vision says Completed or Failed, calling `onUpdate` with each answer.
 * A poll that fails for a moment (offline, busy) is tried again at the next interval.
 */
export async function followTraining(
  client: Client,
  iterationId: string,
  pace: TrainingPace,
  onUpdate: (iteration: IterationInfo) => void,
  signal: AbortSignal,
  wait: (ms: number, signal: AbortSignal) => Promise<void> = delay,
): Promise<IterationInfo | undefined> {
  for (;;) {
    await wait(pollIntervalMs(pace), signal);
    if (signal.aborted) return undefined;
    const answer = await client.getIteration(iterationId, signal);
    if (!answer.ok) {
      if (answer.failure.kind === 'refused') return undefined;
      continue;
    }
    onUpdate(answer.value);
    if (isSettled(answer.value)) return answer.value;
  }
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
