// The circuit breaker's states and the retry timing, on an injected clock.
import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../server/resilience/circuit-breaker.ts';
import { backoffMs, retryAfterMs, sleep } from '../../server/resilience/retry.ts';

describe('CircuitBreaker', () => {
  it('opens after the threshold, lets one probe through after the cooldown, and closes on its success', () => {
    let now = 0;
    const breaker = new CircuitBreaker(3, 1_000, () => now);
    for (let i = 0; i < 3; i++) {
      expect(breaker.check()).toBeUndefined();
      breaker.failure();
    }
    expect(breaker.state()).toBe('open');
    expect(breaker.check()).toBe(1_000);
    now = 1_000;
    expect(breaker.check()).toBeUndefined(); // the probe
    expect(breaker.state()).toBe('half-open');
    expect(breaker.check()).toBe(1_000); // one probe at a time
    breaker.success();
    expect(breaker.state()).toBe('closed');
    expect(breaker.check()).toBeUndefined();
  });

  it('doubles the cooldown when a probe fails, and frees the probe slot when a probe is abandoned', () => {
    let now = 0;
    const breaker = new CircuitBreaker(1, 1_000, () => now);
    breaker.failure();
    now = 1_000;
    expect(breaker.check()).toBeUndefined();
    breaker.failure();
    expect(breaker.check()).toBe(2_000);
    now = 3_000;
    expect(breaker.check()).toBeUndefined();
    breaker.abandoned();
    expect(breaker.check()).toBeUndefined();
  });

  it('counts throttling and client errors as signs of life', () => {
    const breaker = new CircuitBreaker(2, 1_000, () => 0);
    breaker.failure();
    breaker.success();
    breaker.failure();
    expect(breaker.state()).toBe('closed');
  });
});

describe('retry timing', () => {
  it('reads Retry-After as seconds or a date', () => {
    expect(retryAfterMs('3')).toBe(3_000);
    expect(retryAfterMs('Thu, 01 Jan 2026 12:00:10 GMT', Date.parse('Thu, 01 Jan 2026 12:00:00 GMT'))).toBe(
      10_000,
    );
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs(undefined)).toBeUndefined();
  });

  it('backs off exponentially with jitter', () => {
    expect([0, 1, 2].map((attempt) => backoffMs(attempt, () => 0))).toEqual([100, 200, 400]);
    expect([0, 1, 2].map((attempt) => backoffMs(attempt, () => 1))).toEqual([200, 400, 800]);
  });

  it('stops waiting as soon as the client leaves', async () => {
    const controller = new AbortController();
    const waiting = sleep(60_000, controller.signal);
    controller.abort(new Error('the client closed the connection'));
    await expect(waiting).rejects.toThrow(/client closed/);
  });
});
