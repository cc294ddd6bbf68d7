import { describe, expect, it } from 'vitest';
import { IdleWatch } from '../../../src/pwa/idle-watch.ts';
import { FakeClock } from '../support/fake-clock.ts';

function setUp() {
  const clock = new FakeClock();
  const target = new EventTarget();
  const watch = new IdleWatch(target, clock);
  watch.start();
  const calls: number[] = [];
  return { clock, target, watch, calls, onIdle: () => calls.push(clock.now()) };
}

describe('IdleWatch', () => {
  it('calls back once the idle time has passed with no interaction', async () => {
    const { clock, watch, calls, onIdle } = setUp();
    watch.whenIdle(60_000, onIdle);
    await clock.advance(59_999);
    expect(calls).toEqual([]);
    await clock.advance(1);
    expect(calls).toEqual([60_000]);
    await clock.advance(120_000);
    expect(calls).toHaveLength(1);
  });

  it('counts from the last interaction, including those before the request', async () => {
    const { clock, target, watch, calls, onIdle } = setUp();
    await clock.advance(50_000);
    target.dispatchEvent(new Event('pointermove'));
    await clock.advance(30_000);
    watch.whenIdle(60_000, onIdle);
    await clock.advance(20_000);
    target.dispatchEvent(new Event('keydown'));
    await clock.advance(59_000);
    expect(calls).toEqual([]);
    await clock.advance(1_000);
    expect(calls).toEqual([160_000]);
  });

  it('calls back at once when the page has already been idle long enough', async () => {
    const { clock, watch, calls, onIdle } = setUp();
    await clock.advance(90_000);
    watch.whenIdle(60_000, onIdle);
    expect(calls).toEqual([90_000]);
  });

  it('never calls back after cancel() or stop(), and stops listening after stop()', async () => {
    const { clock, target, watch, calls, onIdle } = setUp();
    watch.whenIdle(1_000, onIdle);
    watch.cancel();
    await clock.advance(5_000);
    expect(calls).toEqual([]);

    watch.stop();
    // Interactions after stop() are not noted: the idle time counts from the last one seen before.
    target.dispatchEvent(new Event('pointerdown'));
    watch.whenIdle(1_000, onIdle);
    expect(calls).toEqual([5_000]);
  });
});
