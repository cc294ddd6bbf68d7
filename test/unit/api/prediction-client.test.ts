import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  UNTAGGED,
  parseFailure,
  parseImagePrediction,
  parseRetryAfter,
  predictImage,
  tagIdentity,
  type PredictOutcome,
} from '../../../src/api/prediction-client.ts';

// The v3.1 spec's DetectImageWithNoStore example, with v3.1's tagType added.
const DETECT_EXAMPLE = {
  id: '64615ba1-d5a6-4d0d-9b5a-a6ac2c6e2f4a',
  project: 'fb5bc587-3c5d-4d2f-8a3f-1a1a1a1a1a1a',
  iteration: '45c79472-5b3c-4b8e-9f0e-2b2b2b2b2b2b',
  created: '2019-03-10T06:10:28Z',
  predictions: [
    {
      tagId: '7e703b80-0000-4000-8000-000000000001',
      tagName: 'Tag 1',
      probability: 0.05149666,
      boundingBox: { left: 0.955476165, top: 0, width: 0.0412225723, height: 0.156851858 },
      tagType: 'Regular',
    },
    {
      tagId: '7e703b80-0000-4000-8000-000000000002',
      tagName: 'Tag 2',
      probability: 0.8,
      boundingBox: { left: 0.1, top: 0.2, width: 0.3, height: 0.4 },
    },
  ],
};

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const now = () => NOW;
const noHeaders = new Headers();
const json = (value: unknown) => JSON.stringify(value);

describe('parseImagePrediction', () => {
  it('reads the spec example, sorted by probability, ignoring tagType', () => {
    expect(parseImagePrediction(DETECT_EXAMPLE)).toEqual({
      id: DETECT_EXAMPLE.id,
      project: DETECT_EXAMPLE.project,
      iteration: DETECT_EXAMPLE.iteration,
      created: '2019-03-10T06:10:28Z',
      predictions: [
        {
          tagId: '7e703b80-0000-4000-8000-000000000002',
          tagName: 'Tag 2',
          probability: 0.8,
          boundingBox: { left: 0.1, top: 0.2, width: 0.3, height: 0.4 },
        },
        {
          tagId: '7e703b80-0000-4000-8000-000000000001',
          tagName: 'Tag 1',
          probability: 0.05149666,
          boundingBox: { left: 0.955476165, top: 0, width: 0.0412225723, height: 0.156851858 },
        },
      ],
    });
  });

  it.each([null, undefined, 42, 'text', [DETECT_EXAMPLE]])('gives an empty prediction for %j', (input) => {
    expect(parseImagePrediction(input)).toEqual({
      id: '',
      project: '',
      iteration: '',
      created: '',
      predictions: [],
    });
  });

  it('replaces wrong-typed header fields with empty strings and a non-list with no predictions', () => {
    const parsed = parseImagePrediction({
      id: 7,
      project: null,
      iteration: { x: 1 },
      created: 1552198228000,
      predictions: { 0: { probability: 0.5 } },
    });
    expect(parsed).toEqual({ id: '', project: '', iteration: '', created: '', predictions: [] });
  });

  it('skips entries that are not objects or have no finite probability', () => {
    const { predictions } = parseImagePrediction({
      predictions: [
        null,
        'cat',
        3,
        [0.5],
        { tagName: 'no probability' },
        { tagName: 'string', probability: '0.9' },
        { tagName: 'null', probability: null },
        { tagName: 'nan', probability: NaN },
        { tagName: 'infinite', probability: Infinity },
        { tagName: 'kept', probability: 0.4 },
      ],
    });
    expect(predictions.map((p) => p.tagName)).toEqual(['kept']);
  });

  it('clamps probabilities to 0..1', () => {
    const { predictions } = parseImagePrediction({
      predictions: [
        { tagName: 'low', probability: -0.2 },
        { tagName: 'high', probability: 1.7 },
      ],
    });
    expect(predictions.map((p) => [p.tagName, p.probability])).toEqual([
      ['high', 1],
      ['low', 0],
    ]);
  });

  it('names untagged predictions and falls back to the name as identity when tagId is missing', () => {
    const { predictions } = parseImagePrediction({
      predictions: [
        { probability: 0.9 },
        { probability: 0.8, tagName: null, tagId: null },
        { probability: 0.7, tagName: '  ', tagId: 5 },
        { probability: 0.6, tagName: 'cup' },
        { probability: 0.5, tagName: 'cup', tagId: 'a1' },
      ],
    });
    expect(predictions.map((p) => [p.tagName, p.tagId])).toEqual([
      [UNTAGGED, ''],
      [UNTAGGED, ''],
      [UNTAGGED, ''],
      ['cup', ''],
      ['cup', 'a1'],
    ]);
    expect(predictions.map(tagIdentity)).toEqual([UNTAGGED, UNTAGGED, UNTAGGED, 'cup', 'a1']);
  });

  it('keeps a bounding box only when all four numbers are finite', () => {
    const box = { left: 0.1, top: 0.1, width: 0.2, height: 0.2 };
    const { predictions } = parseImagePrediction({
      predictions: [
        { tagName: 'classify', probability: 0.9 },
        { tagName: 'null', probability: 0.8, boundingBox: null },
        { tagName: 'partial', probability: 0.7, boundingBox: { left: 0.1, top: 0.1, width: 0.2 } },
        { tagName: 'string', probability: 0.6, boundingBox: { ...box, height: '0.2' } },
        { tagName: 'infinite', probability: 0.5, boundingBox: { ...box, width: Infinity } },
        { tagName: 'list', probability: 0.4, boundingBox: [0.1, 0.1, 0.2, 0.2] },
        { tagName: 'good', probability: 0.3, boundingBox: box },
      ],
    });
    expect(predictions.filter((p) => 'boundingBox' in p).map((p) => p.tagName)).toEqual(['good']);
    expect(predictions.at(-1)?.boundingBox).toEqual(box);
  });

  it('clamps boxes to the image, keeping the edges that were inside it', () => {
    const boxes = [
      { left: -0.1, top: -0.2, width: 0.3, height: 0.4 }, // hangs off the top-left
      { left: 0.7, top: 0.9, width: 0.5, height: 0.5 }, // hangs off the bottom-right
      { left: 1.5, top: 0.5, width: 0.1, height: -0.1 }, // outside, and negative height
      { left: -2, top: -2, width: 5, height: 5 }, // covers everything
    ];
    const { predictions } = parseImagePrediction({
      predictions: boxes.map((boundingBox, i) => ({ probability: 0.9 - i / 10, boundingBox })),
    });
    const got = predictions.map((p) => p.boundingBox!);
    expect(got[0]!.left).toBe(0);
    expect(got[0]!.top).toBe(0);
    expect(got[0]!.width).toBeCloseTo(0.2, 12);
    expect(got[0]!.height).toBeCloseTo(0.2, 12);
    expect(got[1]!.left).toBe(0.7);
    expect(got[1]!.top).toBe(0.9);
    expect(got[1]!.width).toBeCloseTo(0.3, 12);
    expect(got[1]!.height).toBeCloseTo(0.1, 12);
    expect(got[2]).toEqual({ left: 1, top: 0.5, width: 0, height: 0 });
    expect(got[3]).toEqual({ left: 0, top: 0, width: 1, height: 1 });
  });

  it('never lets left + width or top + height pass 1, even with floating-point rounding', () => {
    // A fixed pseudo-random sequence (no flakiness) over awkward decimal fractions.
    let seed = 12345;
    const next = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 1.6 - 0.3;
    const raw = Array.from({ length: 2000 }, () => ({
      probability: 0.5,
      boundingBox: { left: next(), top: next(), width: next(), height: next() },
    }));
    const bad = parseImagePrediction({ predictions: raw }).predictions.filter(({ boundingBox: b }) => {
      if (!b) return true;
      const inUnit = [b.left, b.top, b.width, b.height].every((v) => v >= 0 && v <= 1);
      return !inUnit || b.left + b.width > 1 || b.top + b.height > 1;
    });
    expect(bad).toEqual([]);
  });

  it('sorts by descending probability, keeping the server order for ties', () => {
    const { predictions } = parseImagePrediction({
      predictions: [
        { tagName: 'a', probability: 0.2 },
        { tagName: 'b', probability: 0.9 },
        { tagName: 'c', probability: 0.5 },
        { tagName: 'd', probability: 0.9 },
      ],
    });
    expect(predictions.map((p) => p.tagName)).toEqual(['b', 'd', 'c', 'a']);
  });
});

describe('parseRetryAfter', () => {
  it('reads delay-seconds', () => {
    expect(parseRetryAfter('3', NOW)).toBe(3000);
    expect(parseRetryAfter(' 0 ', NOW)).toBe(0);
    expect(parseRetryAfter('1.5', NOW)).toBe(1500);
  });

  it('reads an HTTP-date relative to now, and a past date as no wait', () => {
    expect(parseRetryAfter(new Date(NOW + 7000).toUTCString(), NOW)).toBe(7000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 12:00:30 GMT', NOW)).toBe(30_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 11:59:00 GMT', NOW)).toBe(0);
  });

  it("measures an HTTP-date from the server's Date when given, whatever the local clock says", () => {
    const serverNow = NOW - 3_600_000; // this device's clock is an hour fast
    expect(parseRetryAfter(new Date(serverNow + 5000).toUTCString(), NOW, serverNow)).toBe(5000);
    expect(parseRetryAfter(new Date(NOW + 5000).toUTCString(), NOW, NaN)).toBe(5000);
  });

  it.each([null, '', 'soon', '-1', '5 seconds', '1e3', '2026-13-45', 'Thu, 99 Foo 2026 99:99:99 GMT'])(
    'gives undefined for %j',
    (value) => {
      expect(parseRetryAfter(value, NOW)).toBeUndefined();
    },
  );
});

describe('parseFailure', () => {
  it('reads the local detector\'s 429: flat body with code "429" and Retry-After seconds', () => {
    const failure = parseFailure(
      429,
      new Headers({ 'Retry-After': '1' }),
      json({
        code: '429',
        message: 'All 2 detector workers are busy and 8 requests are waiting. Retry after 1 s.',
      }),
      now,
    );
    expect(failure).toEqual({
      kind: 'rate-limited',
      status: 429,
      code: '429',
      message: 'All 2 detector workers are busy and 8 requests are waiting. Retry after 1 s.',
      retryAfterMs: 1000,
    });
  });

  it("reads the gateway's 429 envelope and finds the wait in a long message when Retry-After is absent", () => {
    const message =
      'Requests to the ClassifyImageWithNoStore Operation under Custom_Vision_Prediction_3.1 have exceeded ' +
      'rate limit of your current Custom_Vision.Prediction F0 pricing tier. To increase your rate limit ' +
      'switch to a paid tier. Please retry after 2 seconds.';
    const failure = parseFailure(429, noHeaders, json({ error: { code: '429', message } }), now);
    expect(failure.kind).toBe('rate-limited');
    expect(failure.code).toBe('429');
    expect(failure.kind === 'rate-limited' && failure.retryAfterMs).toBe(2000);
    expect(failure.message.length).toBeLessThanOrEqual(200);
    expect(failure.message).toMatch(/^Requests to the ClassifyImageWithNoStore .*…$/);
  });

  it.each([
    ['Please retry after 1 second.', 1000],
    ['Rate limit is exceeded. Try again in 23 seconds.', 23_000],
    ['TRY AGAIN IN 5 SECONDS', 5000],
    ['Retry after 1 s.', 1000],
    ['Try again in 500 milliseconds', 500],
    ['Try again in 2 minutes.', 120_000],
  ])('reads the hint in %j', (message, expected) => {
    // APIM's throttling body is {statusCode, message}.
    const failure = parseFailure(429, noHeaders, json({ statusCode: 429, message }), now);
    expect(failure).toMatchObject({ kind: 'rate-limited', retryAfterMs: expected, message });
  });

  it('prefers the Retry-After header to the message hint', () => {
    const failure = parseFailure(
      429,
      new Headers({ 'retry-after': '4' }),
      json({ error: { code: '429', message: 'Please retry after 1 second.' } }),
      now,
    );
    expect(failure).toMatchObject({ kind: 'rate-limited', retryAfterMs: 4000 });
  });

  it('reads a Retry-After HTTP-date against the injected clock', () => {
    const headers = new Headers({ 'Retry-After': new Date(NOW + 12_000).toUTCString() });
    expect(parseFailure(429, headers, '', now)).toMatchObject({ kind: 'rate-limited', retryAfterMs: 12_000 });
  });

  it('reads a Retry-After HTTP-date against the response Date header when there is one', () => {
    const serverNow = NOW + 600_000; // this device's clock is ten minutes slow
    const headers = new Headers({
      'Retry-After': new Date(serverNow + 3000).toUTCString(),
      Date: new Date(serverNow).toUTCString(),
    });
    expect(parseFailure(429, headers, '', now)).toMatchObject({ retryAfterMs: 3000 });
  });

  it('leaves the wait undefined with neither header nor hint, and says so in plain words', () => {
    for (const body of ['', json({ error: { code: '429', message: 'Too many requests.' } })]) {
      const failure = parseFailure(429, noHeaders, body, now);
      expect(failure.kind).toBe('rate-limited');
      expect(failure.kind === 'rate-limited' && failure.retryAfterMs).toBeUndefined();
    }
    expect(parseFailure(429, noHeaders, '', now).message).toBe('Rate-limited by the server');
  });

  it("reads the server's 503 while the model loads, with its Retry-After", () => {
    const failure = parseFailure(
      503,
      new Headers({ 'Retry-After': '2' }),
      json({
        code: 'ErrorPredictionServiceUnavailable',
        message: 'The local detector is still loading its model; retry in a few seconds.',
      }),
      now,
    );
    expect(failure).toEqual({
      kind: 'unavailable',
      status: 503,
      code: 'ErrorPredictionServiceUnavailable',
      message: 'The local detector is still loading its model; retry in a few seconds.',
      retryAfterMs: 2000,
    });
  });

  it.each([502, 504])("reads the server's %i for an unreachable or slow upstream", (status) => {
    const message = `Could not reach Custom Vision at westus.api.cognitive.microsoft.com: ECONNREFUSED.`;
    const failure = parseFailure(
      status,
      noHeaders,
      json({ code: 'ErrorPredictionServiceUnavailable', message }),
      now,
    );
    expect(failure).toEqual({
      kind: 'unavailable',
      status,
      code: 'ErrorPredictionServiceUnavailable',
      message,
      retryAfterMs: undefined,
    });
  });

  it.each([
    [502, /could not be reached/],
    [503, /temporarily unavailable/],
    [504, /did not answer in time/],
  ])('gives a %i with no body a message of its own', (status, pattern) => {
    const failure = parseFailure(status, noHeaders, '', now);
    expect(failure.kind).toBe('unavailable');
    expect(failure.code).toBeUndefined();
    expect(failure.message).toMatch(pattern);
  });

  it.each([
    [400, 'BadRequestImageFormat', 'The body is not a JPEG, PNG, GIF or BMP image.'],
    [413, 'BadRequestImageSizeBytes', 'The image is larger than 4194304 bytes (4 MiB).'],
    [404, 'NotFoundIteration', 'Invalid iteration'],
    [415, 'UnsupportedMediaType', 'Unsupported media type'],
  ])('reads a %i %s as a rejected frame', (status, code, message) => {
    expect(parseFailure(status, noHeaders, json({ code, message }), now)).toEqual({
      kind: 'rejected',
      status,
      code,
      message,
    });
  });

  it("reads the gateway's 401 envelope as a rejection with its code and message", () => {
    const message = 'Access denied due to invalid subscription key or wrong API endpoint.';
    expect(parseFailure(401, noHeaders, json({ error: { code: '401', message } }), now)).toEqual({
      kind: 'rejected',
      status: 401,
      code: '401',
      message,
    });
  });

  it.each([
    [401, /not paired.*open \/pair.*\(HTTP 401\)/],
    [403, /quota \(HTTP 403\)/],
    [404, /not found .*\(HTTP 404\)/],
    [413, /too large .*\(HTTP 413\)/],
    [415, /image type \(HTTP 415\)/],
    [418, /refused the frame \(HTTP 418\)/],
  ])('gives a bodiless %i a message of its own', (status, pattern) => {
    expect(parseFailure(status, noHeaders, '', now).message).toMatch(pattern);
  });

  it('keeps unknown codes as strings, and numeric codes as their digits', () => {
    expect(parseFailure(500, noHeaders, json({ code: 'ErrorSomethingNew', message: 'x' }), now)).toEqual({
      kind: 'server-error',
      status: 500,
      code: 'ErrorSomethingNew',
      message: 'x',
    });
    expect(
      parseFailure(403, noHeaders, json({ error: { code: 403, message: 'Quota Exceeded' } }), now),
    ).toEqual({ kind: 'rejected', status: 403, code: '403', message: 'Quota Exceeded' });
  });

  it.each([
    ['an HTML error page', '<html><body><h1>500 Internal Server Error</h1></body></html>', undefined],
    ['JSON null', 'null', undefined],
    ['a JSON list', '[1,2]', undefined],
    ['a JSON number', '42', undefined],
    ['an empty object', '{}', undefined],
    ['a truncated object', '{"code":"ErrorUnknown","mess', '{"code":"ErrorUnknown","mess'],
    ['a JSON string', '"Internal failure"', 'Internal failure'],
    ['plain text', '  Internal\n  Server   Error \n', 'Internal Server Error'],
    ['error as a string', json({ error: 'Upstream exploded' }), 'Upstream exploded'],
    ['wrong-typed fields', json({ code: true, message: { text: 'x' } }), undefined],
  ])('copes with %s', (_name, body, upstream) => {
    const failure = parseFailure(500, noHeaders, body, now);
    expect(failure.kind).toBe('server-error');
    expect(failure.status).toBe(500);
    expect(failure.code).toBeUndefined();
    expect(failure.message).toBe(upstream ?? 'The Sightline server failed (HTTP 500)');
  });

  it('cuts a huge message to one short line', () => {
    const failure = parseFailure(
      500,
      noHeaders,
      json({ code: 'ErrorUnknown', message: 'stack\n'.repeat(500) }),
    );
    expect(failure.message.length).toBeLessThanOrEqual(200);
    expect(failure.message).not.toContain('\n');
    expect(failure.message.endsWith('…')).toBe(true);
  });

  it('calls any other status a server error', () => {
    expect(parseFailure(302, noHeaders, '', now)).toMatchObject({
      kind: 'server-error',
      status: 302,
      message: 'The Sightline server gave an unexpected answer (HTTP 302)',
    });
  });
});

/** A stand-in for fetch that honours its signal the way the real one does. */
type Answer = (init: RequestInit) => Promise<Response>;

function stubFetch(answer: Answer) {
  const calls: { url: string; init: RequestInit }[] = [];
  const impl: typeof fetch = (input, init = {}) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    calls.push({ url, init });
    const signal = init.signal!;
    if (signal.aborted) return Promise.reject(signal.reason as Error);
    return new Promise<Response>((resolve, reject) => {
      signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
      answer(init).then(resolve, reject);
    });
  };
  return { impl, calls };
}

const never = () => new Promise<Response>(() => {});
const PATH = '/customvision/v3.1/prediction/abc/detect/iterations/x/image/nostore';
const jpegBytes = () => new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]);

describe('predictImage', () => {
  let caller: AbortController;
  let added: unknown[];
  let removed: unknown[];

  beforeEach(() => {
    // Only timers are faked: Response bodies may use other scheduling that must keep running.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    caller = new AbortController();
    added = [];
    removed = [];
    const signal = caller.signal;
    const add = signal.addEventListener.bind(signal);
    const remove = signal.removeEventListener.bind(signal);
    vi.spyOn(signal, 'addEventListener').mockImplementation((type, listener, options) => {
      added.push(listener);
      add(type, listener, options);
    });
    vi.spyOn(signal, 'removeEventListener').mockImplementation((type, listener, options) => {
      removed.push(listener);
      remove(type, listener, options);
    });
  });

  afterEach(() => {
    // Whatever happened, nothing may be left behind on the caller's signal or in the timer queue.
    expect(vi.getTimerCount()).toBe(0);
    expect(removed).toEqual(added);
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  const run = (fetchImpl: typeof fetch, image: Blob | ArrayBuffer | Uint8Array = jpegBytes()) =>
    predictImage(PATH, image, { signal: caller.signal, timeoutMs: 5000, fetchImpl, now });

  it('POSTs the bytes as octet-stream, asks for JSON and parses the prediction', async () => {
    const stub = stubFetch(() => Promise.resolve(new Response(json(DETECT_EXAMPLE), { status: 200 })));
    const outcome = await run(stub.impl);
    expect(outcome.ok).toBe(true);
    expect(outcome.ok && outcome.status).toBe(200);
    expect(outcome.ok && outcome.prediction.predictions.map((p) => p.tagName)).toEqual(['Tag 2', 'Tag 1']);
    const [call] = stub.calls;
    expect(call?.url).toBe(PATH);
    expect(call?.init.method).toBe('POST');
    const headers = new Headers(call?.init.headers);
    expect(headers.get('content-type')).toBe('application/octet-stream');
    expect(headers.get('accept')).toBe('application/json');
    expect([...headers.keys()].sort()).toEqual(['accept', 'content-type']); // and no key of any kind
    expect(added).toHaveLength(1);
  });

  it.each([
    ['a Blob', () => new Blob([jpegBytes()], { type: 'image/jpeg' })],
    ['an ArrayBuffer', () => jpegBytes().buffer],
    ['a Uint8Array', jpegBytes],
    ['a view into a larger buffer', () => new Uint8Array([9, 9, ...jpegBytes(), 9]).subarray(2, 11)],
  ])('sends exactly the bytes of %s', async (_name, make) => {
    const stub = stubFetch(() => Promise.resolve(new Response(json(DETECT_EXAMPLE))));
    await run(stub.impl, make());
    const sent = new Uint8Array(await new Response(stub.calls[0]?.init.body).arrayBuffer());
    expect([...sent]).toEqual([...jpegBytes()]);
  });

  it('classifies an error answer with parseFailure and the injected clock', async () => {
    const stub = stubFetch(() =>
      Promise.resolve(
        new Response(json({ error: { code: '429', message: 'Slow down.' } }), {
          status: 429,
          headers: { 'Retry-After': new Date(NOW + 9000).toUTCString() },
        }),
      ),
    );
    expect(await run(stub.impl)).toEqual({
      ok: false,
      failure: { kind: 'rate-limited', status: 429, code: '429', message: 'Slow down.', retryAfterMs: 9000 },
    });
  });

  it.each([
    ['not JSON', 'OK', /HTTP 200 with something other than a JSON object/],
    ['empty', '', /HTTP 200 with an empty body/],
    ['a JSON list', '[]', /HTTP 200 with something other than a JSON object/],
  ])('calls a success whose body is %s a server error', async (_name, body, pattern) => {
    const stub = stubFetch(() => Promise.resolve(new Response(body, { status: 200 })));
    const outcome = await run(stub.impl);
    expect(outcome).toMatchObject({ ok: false, failure: { kind: 'server-error', status: 200 } });
    expect(!outcome.ok && outcome.failure.message).toMatch(pattern);
  });

  it("gives 'network' when fetch itself fails", async () => {
    const stub = stubFetch(() => Promise.reject(new TypeError('Failed to fetch')));
    expect(await run(stub.impl)).toEqual({
      ok: false,
      failure: { kind: 'network', message: 'Cannot reach the Sightline server' },
    });
  });

  it("gives 'network' when the connection drops while the body streams in", async () => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"id":'));
        controller.error(new TypeError('terminated'));
      },
    });
    const stub = stubFetch(() => Promise.resolve(new Response(body, { status: 200 })));
    expect(await run(stub.impl)).toMatchObject({ ok: false, failure: { kind: 'network' } });
  });

  it('rethrows an error that is not a network failure: that is a bug to see, not an outcome', async () => {
    const bug = new RangeError('bug in fetchImpl');
    const stub = stubFetch(() => Promise.reject(bug));
    await expect(run(stub.impl)).rejects.toBe(bug);
  });

  it("gives 'timeout' when our deadline passes, and aborts the request", async () => {
    const stub = stubFetch(never);
    const pending = run(stub.impl);
    await vi.advanceTimersByTimeAsync(4999);
    expect(stub.calls[0]?.init.signal?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const outcome: PredictOutcome = await pending;
    expect(outcome).toEqual({
      ok: false,
      failure: { kind: 'timeout', message: 'The Sightline server did not answer within 5 s' },
    });
    expect(stub.calls[0]?.init.signal?.aborted).toBe(true);
    expect(caller.signal.aborted).toBe(false);
  });

  it("gives 'timeout' when the headers came in time but the body stalls", async () => {
    let requestSignal: AbortSignal | undefined;
    const stub = stubFetch((init) => {
      requestSignal = init.signal!;
      // Like fetch: aborting the request errors the body stream.
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('{"id":'));
          requestSignal!.addEventListener('abort', () => controller.error(requestSignal!.reason));
        },
      });
      return Promise.resolve(new Response(body, { status: 200 }));
    });
    const pending = run(stub.impl);
    await vi.advanceTimersByTimeAsync(5000);
    expect(await pending).toMatchObject({ ok: false, failure: { kind: 'timeout' } });
  });

  it('rejects with the AbortError when the caller aborts, and aborts the request', async () => {
    const stub = stubFetch(never);
    const pending = run(stub.impl);
    await vi.advanceTimersByTimeAsync(100);
    caller.abort();
    const error = await pending.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DOMException);
    expect((error as DOMException).name).toBe('AbortError');
    expect(stub.calls[0]?.init.signal?.aborted).toBe(true);
  });

  it("rejects with the caller's own reason when it gave one", async () => {
    const stub = stubFetch(never);
    const pending = run(stub.impl);
    const reason = new Error('camera switched');
    caller.abort(reason);
    await expect(pending).rejects.toBe(reason);
  });

  it('rejects at once, without a request, when the signal is already aborted', async () => {
    const stub = stubFetch(never);
    caller.abort();
    await expect(run(stub.impl)).rejects.toMatchObject({ name: 'AbortError' });
    expect(stub.calls).toHaveLength(0);
    expect(added).toHaveLength(0);
  });

  it("lets the caller's abort win over a network error that arrives with it", async () => {
    const stub = stubFetch(() => {
      caller.abort();
      return Promise.reject(new TypeError('Failed to fetch'));
    });
    await expect(run(stub.impl)).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('refuses a deadline that is not a positive number', async () => {
    const stub = stubFetch(never);
    for (const timeoutMs of [0, -1, NaN]) {
      await expect(
        predictImage(PATH, jpegBytes(), { signal: caller.signal, timeoutMs, fetchImpl: stub.impl }),
      ).rejects.toBeInstanceOf(RangeError);
    }
    expect(stub.calls).toHaveLength(0);
  });

  it('leaves nothing behind on a long-lived signal over many requests of every outcome', async () => {
    const answers: Answer[] = [
      () => Promise.resolve(new Response(json(DETECT_EXAMPLE))),
      () => Promise.resolve(new Response('', { status: 503 })),
      () => Promise.reject(new TypeError('Failed to fetch')),
    ];
    let i = 0;
    const stub = stubFetch((init) => answers[i++ % answers.length]!(init));
    const kinds = new Set<string>();
    for (let n = 0; n < 300; n++) {
      const outcome = await run(stub.impl);
      kinds.add(outcome.ok ? 'ok' : outcome.failure.kind);
    }
    expect(kinds).toEqual(new Set(['ok', 'unavailable', 'network']));
    expect(added).toHaveLength(300);
    // afterEach checks that every listener was removed and no timer is left.
  });
});
