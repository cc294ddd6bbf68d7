import { describe, expect, it } from 'vitest';
import type { PredictionFailure } from '../../../src/api/prediction-client.ts';
import {
  CATCH_UP_MAX_MS,
  CATCH_UP_SHARE,
  FrameScheduler,
  LoopState,
  type SchedulerOptions,
  type SendResult,
  type SchedulerStatus,
} from '../../../src/pipeline/frame-scheduler.ts';
import { FakeClock, flushPromises } from '../support/fake-clock.ts';

interface Frame {
  id: number;
}

type Answer = SendResult<string> | 'hang';

/**
 * A scheduler wired to a simulated upstream that answers after `latencyMs` of fake time, and a camera
 * that offers a new frame whenever the scheduler wants one.
 */
function harness(
  options: Partial<SchedulerOptions> & { latencyMs?: number; answer?: (frame: Frame) => Answer } = {},
) {
  const clock = new FakeClock();
  const sent: { frame: Frame; at: number; signal: AbortSignal }[] = [];
  const shown: string[] = [];
  const stale: string[] = [];
  const discarded: number[] = [];
  const statuses: SchedulerStatus[] = [];
  let latencyMs = options.latencyMs ?? 100;
  let answer = options.answer ?? ((frame: Frame): Answer => ({ ok: true, value: `result ${frame.id}` }));
  let nextFrame = 1;
  let maxInFlight = 0;
  let inFlight = 0;

  const scheduler = new FrameScheduler<Frame, string>(
    {
      clock,
      random: () => 0.5, // no jitter unless a test asks for it
      send: (frame, signal) => {
        sent.push({ frame, at: clock.now(), signal });
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        return new Promise((resolve, reject) => {
          const result = answer(frame);
          const timer =
            result === 'hang'
              ? undefined
              : clock.setTimeout(() => {
                  inFlight--;
                  resolve(result);
                }, latencyMs);
          signal.addEventListener('abort', () => {
            clock.clearTimeout(timer);
            inFlight--;
            reject(new DOMException('aborted', 'AbortError'));
          });
        });
      },
      onResult: (value) => shown.push(value),
      onStale: (value) => stale.push(value),
      discard: (frame) => discarded.push(frame.id),
      onStatus: (status) => statuses.push(status),
    },
    options,
  );

  return {
    clock,
    scheduler,
    sent,
    shown,
    stale,
    discarded,
    statuses,
    maxInFlight: () => maxInFlight,
    setLatency: (ms: number) => (latencyMs = ms),
    setAnswer: (fn: (frame: Frame) => Answer) => (answer = fn),
    offer: () => scheduler.offer({ id: nextFrame++ }),
    /**
     * Runs a 30 fps camera for ms of fake time. Each tick it asks whether a frame will be wanted before the
     * next tick, as the real capture loop does, so frames are ready when the rate allows the next send.
     */
    async run(ms: number) {
      for (let t = 0; t < ms; t += 33) {
        if (scheduler.wantsFrame(33)) scheduler.offer({ id: nextFrame++ });
        await clock.advance(Math.min(33, ms - t));
      }
    },
  };
}

const failure = (f: PredictionFailure): Answer => ({ ok: false, failure: f });

describe('FrameScheduler', () => {
  it('lets the latest frame win: a waiting frame is replaced, nothing queues', async () => {
    const h = harness({ budgetPerSecond: 100, latencyMs: 500 });
    h.scheduler.start();
    h.offer(); // 1 is sent at once
    h.offer(); // 2 waits
    h.offer(); // 3 replaces 2
    h.offer(); // 4 replaces 3
    await flushPromises();
    expect(h.sent.map((s) => s.frame.id)).toEqual([1]);
    expect(h.discarded).toEqual([2, 3]);
    await h.clock.advance(500);
    expect(h.sent.map((s) => s.frame.id)).toEqual([1, 4]);
    expect(h.shown).toEqual(['result 1']);
  });

  it('keeps one request in flight while budget x latency stays at or under one', async () => {
    const h = harness({ budgetPerSecond: 2, latencyMs: 150 });
    h.scheduler.start();
    await h.run(10_000);
    expect(h.maxInFlight()).toBe(1);
    expect(h.scheduler.allowedInFlight()).toBe(1);
  });

  it('overlaps requests when one round trip at a time could not use the budget, up to the cap', async () => {
    const h = harness({ budgetPerSecond: 10, latencyMs: 300, maxInFlight: 4 });
    h.scheduler.start();
    await h.run(10_000);
    expect(h.scheduler.allowedInFlight()).toBe(3); // ceil(10/s x 0.3 s)
    expect(h.maxInFlight()).toBe(3);
    // The budget is used: about 10/s over the last 8 s.
    const late = h.sent.filter((s) => s.at >= 2_000).length;
    expect(late / 8).toBeGreaterThan(9.6);

    const capped = harness({ budgetPerSecond: 10, latencyMs: 1_000, maxInFlight: 2 });
    capped.scheduler.start();
    await capped.run(5_000);
    expect(capped.maxInFlight()).toBe(2);
  });

  it('never sends faster than the budget in any one-second window', async () => {
    const h = harness({ budgetPerSecond: 10, latencyMs: 40 });
    h.scheduler.start();
    await h.run(20_000);
    const times = h.sent.map((s) => s.at);
    for (const start of times)
      expect(times.filter((t) => t >= start && t < start + 1000).length).toBeLessThanOrEqual(10);
    expect(times.length).toBeGreaterThan(185); // ~9.7/s over 20 s
  });

  it('makes up for late frames without a burst, so a slow encode does not waste the budget', async () => {
    const h = harness({ budgetPerSecond: 10, latencyMs: 40 });
    h.scheduler.start();
    // A camera asked for a frame only once one is due, and whose every other frame takes 20 ms more to
    // be ready (a slow encode): strict pacing from the last send would lose a tenth of the budget.
    let frames = 0;
    let encoding = false;
    for (let t = 0; t < 20_000; t += 5) {
      if (!encoding && h.scheduler.wantsFrame(0)) {
        encoding = true;
        h.clock.setTimeout(
          () => {
            encoding = false;
            h.offer();
          },
          frames++ % 2 ? 20 : 0,
        );
      }
      await h.clock.advance(5);
    }
    const times = h.sent.map((s) => s.at);
    const interval = 1000 / 10;
    expect(times.length / 20).toBeGreaterThan(10 * 0.98);
    const gaps = times.slice(1).map((time, i) => time - times[i]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(interval * (1 - CATCH_UP_SHARE) - 1);
    for (const start of times)
      expect(times.filter((t) => t >= start && t < start + 1000).length).toBeLessThanOrEqual(11);
  });

  it('makes up for lateness by at most CATCH_UP_MAX_MS at a low budget, inside what the server waits for', async () => {
    // The free tier: 2/s, reported as 1.94/s. Answers that take longer than an interval make sends late;
    // half an interval (260 ms) made up would bring the next one earlier than the server waits (150 ms).
    const latencies = [80, 600, 980, 300, 450, 700];
    let n = 0;
    const h = harness({ budgetPerSecond: 1.94 });
    h.setAnswer((frame) => {
      h.setLatency(latencies[n++ % latencies.length]!);
      return { ok: true, value: `r${frame.id}` };
    });
    h.scheduler.start();
    await h.run(120_000);
    const times = h.sent.map((s) => s.at);
    const interval = 1000 / (1.94 * 0.99);
    const gaps = times.slice(1).map((time, i) => time - times[i]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(interval - CATCH_UP_MAX_MS - 1);
    // Not bought by sending less: with answers this slow, most of the budget is still used.
    expect(times.length / 120).toBeGreaterThan(1.94 * 0.75);
  });

  it("follows the user's fps cap when it is lower than the budget", async () => {
    const h = harness({ budgetPerSecond: 20, fpsCap: 2, latencyMs: 40 });
    h.scheduler.start();
    await h.run(10_000);
    expect(h.sent.length).toBeGreaterThanOrEqual(19);
    expect(h.sent.length).toBeLessThanOrEqual(21);
  });

  /** A loop at 10/s whose third frame is answered 429 with Retry-After: 2 s; returns when that came. */
  async function rateLimitedOnce() {
    const h = harness({ budgetPerSecond: 10, latencyMs: 50 });
    h.setAnswer((frame) =>
      frame.id === 3
        ? failure({ kind: 'rate-limited', retryAfterMs: 2_000, message: 'Rate-limited' })
        : { ok: true, value: `r${frame.id}` },
    );
    h.scheduler.start();
    await h.run(400);
    return { h, limitedAt: h.sent.find((s) => s.frame.id === 3)!.at + 50 };
  }

  it('honours Retry-After on 429, says when it resumes, and recovers', async () => {
    const { h, limitedAt } = await rateLimitedOnce();
    const status = h.scheduler.status();
    expect(status.state).toBe(LoopState.RateLimited);
    expect(status.resumeAt).toBe(limitedAt + 2_000);
    expect(status.message).toBe('Rate-limited');
    const before = h.sent.length;
    await h.run(limitedAt + 1_900 - h.clock.now());
    expect(h.sent.length).toBe(before); // silent while told to wait
    await h.run(400);
    expect(h.sent.length).toBeGreaterThan(before);
    expect(h.scheduler.status().state).toBe(LoopState.Running);
    expect(h.statuses.map((s) => s.state)).toEqual([
      LoopState.Running,
      LoopState.RateLimited,
      LoopState.Running,
    ]);
  });

  it('keeps a Retry-After wait through a pause and resume', async () => {
    const { h, limitedAt } = await rateLimitedOnce();
    h.scheduler.pause(); // the page hidden for a moment...
    await h.clock.advance(100);
    h.scheduler.start(); // ...and shown again
    expect(h.scheduler.status()).toMatchObject({ state: LoopState.RateLimited, resumeAt: limitedAt + 2_000 });
    const before = h.sent.length;
    await h.run(limitedAt + 1_900 - h.clock.now());
    expect(h.sent.length).toBe(before);
    await h.run(400);
    expect(h.sent.length).toBeGreaterThan(before);
    expect(h.scheduler.status().state).toBe(LoopState.Running);
  });

  it('backs off exponentially with jitter when no Retry-After is given, up to a ceiling', async () => {
    const h = harness({ budgetPerSecond: 10, latencyMs: 10, backoffInitialMs: 1_000, backoffMaxMs: 4_000 });
    h.setAnswer(() => failure({ kind: 'rate-limited', message: 'Rate-limited' }));
    h.scheduler.start();
    await h.run(20_000);
    const gaps = h.sent.slice(1).map((s, i) => s.at - h.sent[i]!.at);
    // Each gap is the backoff (plus the 10 ms round trip and up to one 33 ms camera tick).
    const backoffs = gaps.map((gap) => Math.round((gap - 10) / 1000) * 1000);
    expect(backoffs.slice(0, 5)).toEqual([1_000, 2_000, 4_000, 4_000, 4_000]);

    const spread = new Set<number>();
    for (const r of [0, 0.25, 0.75, 1]) {
      const j = harness({ budgetPerSecond: 10, latencyMs: 10, backoffInitialMs: 1_000, backoffJitter: 0.25 });
      j.setAnswer(() => failure({ kind: 'unavailable', message: 'down' }));
      (j.scheduler as unknown as { random: () => number }).random = () => r;
      j.scheduler.start();
      await j.run(100);
      spread.add(Math.round(j.scheduler.status().resumeAt! - j.clock.now()));
    }
    expect(spread.size).toBe(4); // different random draws, different waits
  });

  it('goes offline on network errors and timeouts, then recovers by itself', async () => {
    const h = harness({ budgetPerSecond: 5, latencyMs: 20 });
    let down = true;
    h.setAnswer((frame) =>
      down
        ? failure({ kind: 'network', message: 'Cannot reach the server' })
        : { ok: true, value: `r${frame.id}` },
    );
    h.scheduler.start();
    await h.run(3_000);
    expect(h.scheduler.status().state).toBe(LoopState.Offline);
    down = false;
    await h.run(10_000);
    expect(h.scheduler.status().state).toBe(LoopState.Running);
    expect(h.shown.length).toBeGreaterThan(0);
  });

  it('drops a result older than the one already shown', async () => {
    const h = harness({ budgetPerSecond: 100, latencyMs: 600 });
    h.scheduler.start();
    h.offer(); // frame 1: a slow answer
    await h.clock.advance(20);
    h.setLatency(50);
    h.offer(); // frame 2: overlaps, answers first
    await h.clock.advance(20);
    expect(h.sent.map((s) => s.frame.id)).toEqual([1, 2]);
    await h.clock.advance(700);
    expect(h.shown).toEqual(['result 2']);
    expect(h.stale).toEqual(['result 1']);
  });

  it('aborts requests in flight and discards the waiting frame when paused, and resumes on start', async () => {
    const h = harness({ budgetPerSecond: 100, latencyMs: 1_000 });
    h.scheduler.start();
    h.offer();
    h.offer();
    await flushPromises();
    h.scheduler.pause();
    expect(h.sent[0]!.signal.aborted).toBe(true);
    expect(h.discarded).toEqual([2]);
    expect(h.scheduler.wantsFrame()).toBe(false);
    await h.clock.advance(2_000);
    expect(h.shown).toEqual([]);
    h.scheduler.start();
    expect(h.scheduler.wantsFrame()).toBe(true);
  });

  it('calls repeated refusals of frames an error, but shrugs off a single one', async () => {
    const h = harness({ budgetPerSecond: 10, latencyMs: 10, rejectionsBeforeError: 3 });
    h.setAnswer((frame) =>
      frame.id === 2
        ? failure({ kind: 'rejected', status: 400, message: 'bad frame' })
        : { ok: true, value: 'ok' },
    );
    h.scheduler.start();
    await h.run(1_000);
    expect(h.scheduler.status().state).toBe(LoopState.Running);
    h.setAnswer(() => failure({ kind: 'rejected', status: 400, message: 'bad frame' }));
    await h.run(1_000);
    expect(h.scheduler.status()).toMatchObject({ state: LoopState.Error, message: 'bad frame' });
  });

  it('says when the refusals are for want of pairing (HTTP 401), so the app can offer to pair', async () => {
    const h = harness({ budgetPerSecond: 10, latencyMs: 10, rejectionsBeforeError: 2 });
    h.setAnswer(() => failure({ kind: 'rejected', status: 400, message: 'bad frame' }));
    h.scheduler.start();
    await h.run(1_000);
    expect(h.scheduler.status().needsPairing).toBeUndefined();
    h.setAnswer(() => failure({ kind: 'rejected', status: 401, message: 'not paired' }));
    await h.run(5_000);
    expect(h.scheduler.status()).toMatchObject({ state: LoopState.Error, needsPairing: true });
  });

  it('treats a send that fails unexpectedly as a failed request rather than stalling', async () => {
    const h = harness({ budgetPerSecond: 10, latencyMs: 10 });
    (h.scheduler as unknown as { deps: { send: () => Promise<never> } }).deps.send = () =>
      Promise.reject(new Error('bug'));
    h.scheduler.start();
    h.offer();
    await flushPromises();
    expect(h.scheduler.status()).toMatchObject({ state: LoopState.Error, message: 'bug', inFlight: 0 });
  });
});
