// Admission of one upstream call by a budget, for a route: a spent budget that has room again within a
// moment is waited for, otherwise the answer is a 429 in Custom Vision's shape with Retry-After, before
// anything is sent upstream.
import type { ClientPresence } from '../http/client-presence.ts';
import { CvError, CvErrorCode } from '../http/cv-error.ts';
import type { Budget, BudgetAdmission } from '../limits/budget.ts';
import { sleep } from '../resilience/retry.ts';
import type { UpstreamTrace } from '../upstreams/upstream.ts';

/**
 * A spent budget that has room again within this long is waited for rather than refused. A camera loop
 * paced to the budget sends some frames a few milliseconds early (timers, a late frame made up for);
 * refused, each would cost the client a whole Retry-After second, while waiting costs that frame a few
 * milliseconds. The upstream still never gets more than the budget.
 */
export const ADMISSION_WAIT_MS = 150;

export interface AdmissionRequest {
  readonly clientId: string;
  /** Counted against the budget's narrower rate too (stored predictions; TrainProject). */
  readonly store: boolean;
  readonly client: ClientPresence;
  readonly trace: UpstreamTrace;
}

type Refusal = Extract<BudgetAdmission, { ok: false }>;

/** One admitted call, or a 429 whose message begins with `why(refusal)`. */
export async function admitOrRefuse(
  budget: Budget,
  { clientId, store, client, trace }: AdmissionRequest,
  why: (refusal: Refusal) => string,
): Promise<{ sent(): void }> {
  // A client that has already gone takes no place in the budget.
  if (client.gone) throw new Error('the client closed the connection');
  const waitUntil = performance.now() + ADMISSION_WAIT_MS;
  let admission = await budget.admit(clientId, store);
  // Real time, not the sum of the waits asked for: a store round trip or a busy event loop counts too.
  while (!admission.ok && performance.now() + admission.retryAfterMs <= waitUntil) {
    // One millisecond more than the store asked: its window must have moved past the oldest entry.
    await sleep(admission.retryAfterMs + 1, client.signal);
    admission = await budget.admit(clientId, store);
  }
  if (admission.ok) return admission;
  trace.refused = admission.reason;
  const seconds = Math.max(1, Math.ceil(admission.retryAfterMs / 1000));
  throw new CvError(
    429,
    CvErrorCode.TooManyRequests,
    `${why(admission)} Please retry after ${seconds} second${seconds === 1 ? '' : 's'}.`,
    { 'Retry-After': String(seconds) },
  );
}
