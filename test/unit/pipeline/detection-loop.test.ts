import { describe, expect, it } from 'vitest';
import type { PredictOutcome } from '../../../src/api/prediction-client.ts';
import { DetectionLoop, type LoopResult } from '../../../src/pipeline/detection-loop.ts';
import { LoopState, type SchedulerStatus } from '../../../src/pipeline/frame-scheduler.ts';
import type { EncodedFrame } from '../../../src/worker/frame-worker-api.ts';
import { FakeClock, flushPromises } from '../support/fake-clock.ts';

const PATH = '/customvision/v3.1/prediction/p/detect/iterations/m/image/nostore';
const LATENCY_MS = 100;

/** A camera frame as the loop sees it: something to hand over, and to close. */
interface FakeFrame {
  readonly id: number;
  closed: boolean;
  close(): void;
}

interface Sent {
  readonly path: string;
  readonly frameId: number;
  readonly at: number;
  readonly signal: AbortSignal;
}

type Answer = (sent: Sent) => PredictOutcome;

const found = (id: number): PredictOutcome => ({
  ok: true,
  status: 200,
  prediction: { id: `p${id}`, project: '', iteration: '', created: '', predictions: [] },
});

/**
 * A loop wired to a camera whose frames come when the test says, an encoder that turns frame n into
 * bytes that say n, and an upstream that answers after LATENCY_MS of fake time.
 */
function harness(options: { store?: boolean; answer?: Answer; failEncode?: (id: number) => boolean } = {}) {
  const clock = new FakeClock();
  const frames: FakeFrame[] = [];
  const sent: Sent[] = [];
  const results: LoopResult[] = [];
  const statuses: SchedulerStatus[] = [];
  const frameCallbacks = new Map<number, () => void>();
  let nextHandle = 1;
  let frameCallbacksRequested = 0;
  let answer: Answer = options.answer ?? ((request) => found(request.frameId));

  const video = {
    readyState: 4,
    videoWidth: 640,
    requestVideoFrameCallback(callback: () => void): number {
      frameCallbacks.set(nextHandle, callback);
      frameCallbacksRequested++;
      return nextHandle++;
    },
    cancelVideoFrameCallback(handle: number): void {
      frameCallbacks.delete(handle);
    },
  };

  const loop = new DetectionLoop(
    {
      video,
      clock,
      capture: () => {
        const frame: FakeFrame = {
          id: frames.length + 1,
          closed: false,
          close() {
            this.closed = true;
          },
        };
        frames.push(frame);
        return Promise.resolve(frame as unknown as VideoFrame);
      },
      encoder: {
        encode(frame): Promise<EncodedFrame> {
          const { id } = frame as unknown as FakeFrame;
          if (options.failEncode?.(id)) return Promise.reject(new Error('worker gone'));
          const bytes = new Uint8Array([id]).buffer;
          const size = { width: 320, height: 240 };
          return Promise.resolve({ bytes, size, source: { width: 640, height: 480 }, encodeMs: 1 });
        },
      },
      send: (path, image, { signal }) => {
        const request = { path, frameId: new Uint8Array(image)[0]!, at: clock.now(), signal };
        sent.push(request);
        return new Promise((resolve, reject) => {
          const timer = clock.setTimeout(() => resolve(answer(request)), LATENCY_MS);
          signal.addEventListener('abort', () => {
            clock.clearTimeout(timer);
            reject(new DOMException('aborted', 'AbortError'));
          });
        });
      },
    },
    { onResult: (result) => results.push(result), onStatus: (status) => statuses.push(status) },
    {
      predictionPath: PATH,
      store: options.store ?? false,
      maxLongSide: 320,
      quality: 0.7,
      requestTimeoutMs: 8_000,
      scheduler: { budgetPerSecond: 2, budgetShare: 1, backoffJitter: 0 },
    },
  );

  return {
    clock,
    loop,
    video,
    frames,
    sent,
    results,
    statuses,
    setAnswer: (next: Answer) => (answer = next),
    pendingFrameCallbacks: () => frameCallbacks.size,
    frameCallbacksRequested: () => frameCallbacksRequested,
    /** The camera shows a new picture: every waiting frame callback runs. */
    async cameraFrame(): Promise<void> {
      const callbacks = [...frameCallbacks.values()];
      frameCallbacks.clear();
      for (const callback of callbacks) callback();
      await flushPromises();
    },
    /** Camera frames every 33 ms for `ms` of fake time. */
    async run(ms: number): Promise<void> {
      for (let t = 0; t < ms; t += 33) {
        await this.cameraFrame();
        await clock.advance(33);
      }
    },
  };
}

describe('DetectionLoop', () => {
  it('sends the frame it grabbed for the pace it keeps, and hands back its result with that frame', async () => {
    const h = harness();
    h.loop.start();
    await h.run(2_000);
    // Two a second: four sends in two seconds, each of a different, later frame.
    expect(h.sent.length).toBeGreaterThanOrEqual(3);
    expect(h.sent.length).toBeLessThanOrEqual(5);
    const ids = h.sent.map((request) => request.frameId);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    // Only frames that were sent were grabbed: the loop does not encode what the pace would throw away.
    expect(h.frames.length - h.sent.length).toBeLessThanOrEqual(1);
    expect(h.results.map((result) => result.prediction.id)).toEqual(
      h.sent.slice(0, h.results.length).map((request) => `p${request.frameId}`),
    );
    expect(h.sent.every((request) => request.path === PATH)).toBe(true);
  });

  it('sends to the storing route when frames are to be kept', async () => {
    const h = harness({ store: true });
    h.loop.start();
    await h.run(200);
    expect(h.sent[0]?.path).toBe(PATH.replace(/\/nostore$/, ''));
  });

  /** Starts a loop whose first request fails; returns it and when the failure arrived. */
  async function failingFirst(failure: Extract<PredictOutcome, { ok: false }>['failure']) {
    const h = harness();
    h.setAnswer(() => ({ ok: false, failure }));
    h.loop.start();
    await h.run(200);
    expect(h.sent).toHaveLength(1);
    h.setAnswer((request) => found(request.frameId));
    return { h, failedAt: h.sent[0]!.at + LATENCY_MS };
  }

  it("waits out the server's Retry-After before sending again, whatever the camera does", async () => {
    const { h, failedAt } = await failingFirst({
      kind: 'rate-limited',
      status: 429,
      message: 'slow down',
      retryAfterMs: 5_000,
    });
    expect(h.statuses.at(-1)?.state).toBe(LoopState.RateLimited);
    await h.run(4_500);
    expect(h.sent).toHaveLength(1);
    await h.run(1_000);
    expect(h.sent.length).toBeGreaterThanOrEqual(2);
    expect(h.sent[1]!.at).toBeGreaterThanOrEqual(failedAt + 5_000);
    expect(h.statuses.at(-1)?.state).toBe(LoopState.Running);
  });

  it('backs off after an error with no Retry-After, and recovers', async () => {
    const { h, failedAt } = await failingFirst({ kind: 'server-error', status: 500, message: 'boom' });
    expect(h.statuses.at(-1)?.state).toBe(LoopState.Error);
    await h.run(1_500);
    // The first backoff is a second (no jitter here); then the loop is back at its pace.
    expect(h.sent.length).toBeGreaterThanOrEqual(2);
    expect(h.sent[1]!.at).toBeGreaterThanOrEqual(failedAt + 1_000);
    expect(h.sent[1]!.at).toBeLessThan(failedAt + 1_100);
    expect(h.results.length).toBeGreaterThanOrEqual(1);
    expect(h.statuses.at(-1)?.state).toBe(LoopState.Running);
  });

  it('closes a frame the encoder refused, and goes on with the next one', async () => {
    const h = harness({ failEncode: (id) => id === 1 });
    h.loop.start();
    await h.run(200);
    expect(h.frames[0]?.closed).toBe(true);
    expect(h.sent[0]?.frameId).toBe(2);
    expect(h.frames[1]?.closed).toBe(false); // handed to the encoder, which owns it
  });

  it('grabs nothing while the video has no picture', async () => {
    const h = harness();
    h.video.readyState = 1;
    h.loop.start();
    await h.run(1_000);
    expect(h.frames).toHaveLength(0);
    h.video.readyState = 4;
    await h.run(200);
    expect(h.frames.length).toBeGreaterThan(0);
  });

  it('on stop, aborts the request in flight, drops its answer and stops watching the camera', async () => {
    const h = harness();
    h.loop.start();
    await h.cameraFrame();
    expect(h.sent).toHaveLength(1);
    h.loop.stop();
    expect(h.sent[0]!.signal.aborted).toBe(true);
    expect(h.pendingFrameCallbacks()).toBe(0);
    await h.clock.advance(1_000);
    expect(h.results).toHaveLength(0);
    expect(h.statuses.at(-1)?.state).toBe(LoopState.Idle);
    expect(h.frames).toHaveLength(1);
  });

  it('on pause, sends nothing until started again', async () => {
    const h = harness();
    h.loop.start();
    await h.run(100);
    h.loop.pause();
    const before = h.sent.length;
    await h.run(2_000);
    expect(h.sent).toHaveLength(before);
    h.loop.start();
    await h.run(600);
    expect(h.sent.length).toBeGreaterThan(before);
  });

  it('watches the camera only when a frame will soon be wanted, not between sends', async () => {
    const h = harness();
    h.loop.start();
    await h.run(100);
    expect(h.sent).toHaveLength(1);
    // At two a second the next send is 500 ms after the first: until shortly before it, no frame callback
    // is held (each would make the page run its rendering steps for every camera frame).
    expect(h.pendingFrameCallbacks()).toBe(0);
    await h.clock.advance(200);
    expect(h.pendingFrameCallbacks()).toBe(0);
    // Then it watches again, in time to grab a fresh frame for the send.
    await h.clock.advance(250);
    expect(h.pendingFrameCallbacks()).toBe(1);
    await h.run(200);
    expect(h.sent).toHaveLength(2);
  });

  it('takes one camera frame per frame it sends: one frame callback each, not one per camera frame', async () => {
    const h = harness();
    h.loop.start();
    await h.run(3_000);
    // Two a second for three seconds, from a camera giving 30 frames a second.
    expect(h.sent.length).toBeGreaterThanOrEqual(5);
    expect(h.frameCallbacksRequested()).toBeLessThanOrEqual(h.sent.length + 1);
    expect(h.frames.length - h.sent.length).toBeLessThanOrEqual(1);
  });
});
