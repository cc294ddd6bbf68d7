// When to try the upstream again, and how long to wait first: the upstream's Retry-After when it gives
// one, otherwise exponential backoff with jitter, so that a fleet of clients does not retry in step.

/** Milliseconds a Retry-After header asks for (seconds or an HTTP date), or undefined. */
export function retryAfterMs(header: string | undefined, nowMs = Date.now()): number | undefined {
  if (!header) return undefined;
  if (/^\d+(\.\d+)?$/.test(header.trim())) return Number(header) * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/** 200 ms, 400 ms, 800 ms... each between half and all of that, at random. */
export function backoffMs(attempt: number, random = Math.random): number {
  const ceiling = 200 * 2 ** attempt;
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Waits, or rejects as soon as `signal` aborts (the client left: no point retrying for it). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
