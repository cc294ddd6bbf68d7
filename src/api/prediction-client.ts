// Client for the Sightline server's Custom Vision prediction routes. The server holds the Prediction-Key:
// the browser only POSTs frame bytes to a same-origin path taken from /api/config and never sees a key.
// Every answer is parsed defensively: it may come from Azure (relayed as is), from the local detector, or
// from a proxy in between, and Custom Vision marks every response field readOnly, i.e. optional on the
// wire. The parse functions are pure and exported so they can be tested without a server.
// This module imports nothing from Lit: it is a service, not a component.
import { isArrayBufferBacked } from '../shared/bytes.ts';
import { readCustomVisionError, type CustomVisionError } from '../shared/custom-vision-error.ts';
import { isObject, type JsonObject } from '../shared/json.ts';
import type { BoundingBox, Prediction } from './prediction-types.ts';

export interface ImagePrediction {
  id: string;
  project: string;
  iteration: string;
  created: string;
  /** Sorted by descending probability (the cloud's examples are, but it is not documented). */
  predictions: Prediction[];
}

/** The tag name given to a prediction that arrived without one (`tagName` is nullable in the spec). */
export const UNTAGGED = '(untagged)';

const stringOr = (value: unknown, fallback: string) => (typeof value === 'string' ? value : fallback);
const isFiniteNumber = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value);
const clamp01 = (value: number) => Math.min(1, Math.max(0, value));

/** One axis of a box: start and size, clamped to the image. */
function clampSpan(start: number, size: number): [number, number] {
  // In range, the numbers stay exactly as sent (re-deriving them from the edges would add rounding noise).
  if (start >= 0 && size >= 0 && start + size <= 1) return [start, size];
  // Otherwise clamp the edges rather than the size, so a box hanging off the left keeps its right edge.
  // (`from + (end - from)` cannot round above 1 when `end <= 1`; a unit test checks it on 2,000 boxes.)
  const from = clamp01(start);
  return [from, Math.max(0, clamp01(start + size) - from)];
}

function parseBoundingBox(raw: unknown): BoundingBox | undefined {
  if (!isObject(raw)) return undefined;
  const { left, top, width, height } = raw;
  if (!isFiniteNumber(left) || !isFiniteNumber(top) || !isFiniteNumber(width) || !isFiniteNumber(height)) {
    return undefined;
  }
  const [x, w] = clampSpan(left, width);
  const [y, h] = clampSpan(top, height);
  return { left: x, top: y, width: w, height: h };
}

function parsePrediction(raw: unknown): Prediction | undefined {
  if (!isObject(raw)) return undefined;
  const probability = raw['probability'];
  // Without a probability there is nothing to threshold or rank; such an entry is noise, not a detection.
  if (!isFiniteNumber(probability)) return undefined;
  const tagName = raw['tagName'];
  const prediction: Prediction = {
    probability: clamp01(probability),
    tagId: stringOr(raw['tagId'], ''),
    tagName: typeof tagName === 'string' && tagName.trim() !== '' ? tagName : UNTAGGED,
  };
  // `tagType` (v3.1 only) is ignored: Negative tags never come back with a box, and nothing here uses it.
  const boundingBox = parseBoundingBox(raw['boundingBox']);
  if (boundingBox) prediction.boundingBox = boundingBox;
  return prediction;
}

/** Reads a Custom Vision `ImagePrediction`, filling in whatever is missing rather than throwing. */
export function parseImagePrediction(json: unknown): ImagePrediction {
  const body: JsonObject = isObject(json) ? json : {};
  const predictions: Prediction[] = [];
  const raw = body['predictions'];
  if (Array.isArray(raw)) {
    for (const entry of raw as unknown[]) {
      const prediction = parsePrediction(entry);
      if (prediction) predictions.push(prediction);
    }
  }
  // Array.prototype.sort is stable, so equal probabilities keep the server's order.
  predictions.sort((a, b) => b.probability - a.probability);
  return {
    id: stringOr(body['id'], ''),
    project: stringOr(body['project'], ''),
    iteration: stringOr(body['iteration'], ''),
    created: stringOr(body['created'], ''),
    predictions,
  };
}

/**
 * What identifies a tag across frames (colours, counts, history): its `tagId`, or its name when the answer
 * carried none (`tagId` is optional on the wire, and then parses as '').
 */
export function tagIdentity(prediction: Pick<Prediction, 'tagId' | 'tagName'>): string {
  return prediction.tagId !== '' ? prediction.tagId : prediction.tagName;
}

export const PredictionFailureKind = {
  /** 429: too many requests (the cloud's tier limit, or the local detector's full queue). */
  rateLimited: 'rate-limited',
  /** 502, 503, 504: the server or what is behind it is temporarily down or still loading. */
  unavailable: 'unavailable',
  /** Any other 4xx: this request was refused (e.g. a frame too large or unreadable); the loop goes on. */
  rejected: 'rejected',
  /** Any other status, or a success whose body is not an ImagePrediction. */
  serverError: 'server-error',
  /** No HTTP answer at all: offline, DNS, connection refused or reset. */
  network: 'network',
  /** Our own deadline passed before the whole answer arrived. */
  timeout: 'timeout',
} as const;
export type PredictionFailureKind = (typeof PredictionFailureKind)[keyof typeof PredictionFailureKind];

interface FailureCommon {
  /** The HTTP status, when there was an HTTP answer. */
  readonly status?: number;
  /** The code as sent: Custom Vision's (e.g. "BadRequestImageFormat") or the gateway's (e.g. "429"). */
  readonly code?: string;
  /** One line for people: the server's own message when it sent one, else ours; at most 200 characters. */
  readonly message: string;
}

export type PredictionFailure =
  | (FailureCommon & { readonly kind: 'rate-limited'; readonly retryAfterMs?: number })
  | (FailureCommon & { readonly kind: 'unavailable'; readonly retryAfterMs?: number })
  | (FailureCommon & { readonly kind: 'rejected' })
  | (FailureCommon & { readonly kind: 'server-error' })
  | (FailureCommon & { readonly kind: 'network' })
  | (FailureCommon & { readonly kind: 'timeout' });

const MAX_MESSAGE_CHARS = 200;

/** Collapses whitespace and cuts to one short line, so a stack trace or HTML page cannot flood the HUD. */
function shorten(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= MAX_MESSAGE_CHARS ? line : `${line.slice(0, MAX_MESSAGE_CHARS - 1).trimEnd()}…`;
}

/** Finds code and message in an error body: Custom Vision's JSON in any of its wrappings, or plain text. */
function parseErrorBody(text: string): Partial<CustomVisionError> {
  const trimmed = text.trim();
  if (trimmed === '') return {};
  let json: unknown;
  try {
    json = JSON.parse(trimmed);
  } catch {
    // Plain text from a proxy ("Bad Gateway") still says something; an HTML error page does not.
    return trimmed.startsWith('<') ? {} : { message: trimmed };
  }
  return readCustomVisionError(json);
}

/**
 * Reads a Retry-After value: delay-seconds, or an HTTP-date. A date is measured from `serverNowMs` when the
 * response's own Date header is readable (so a kiosk's wrong clock cannot stretch or cancel the wait), else
 * from `nowMs`. Returns undefined for anything unreadable, leaving the scheduler to back off on its own.
 */
export function parseRetryAfter(
  value: string | null,
  nowMs: number,
  serverNowMs?: number,
): number | undefined {
  const text = value?.trim() ?? '';
  // Only whole seconds are standard; a fraction costs nothing to honour.
  if (/^\d+(?:\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  // Every HTTP-date form has a time of day; requiring one keeps Date.parse's lenient guesses out.
  if (!/\d{1,2}:\d{2}:\d{2}/.test(text)) return undefined;
  const at = Date.parse(text);
  if (!Number.isFinite(at)) return undefined;
  const reference = serverNowMs !== undefined && Number.isFinite(serverNowMs) ? serverNowMs : nowMs;
  return Math.max(0, at - reference);
}

const RETRY_HINT =
  /\b(?:retry after|retry in|try again in|try again after)\s+(\d+(?:\.\d+)?)\s*(milliseconds?|ms|seconds?|secs?|s|minutes?|mins?)\b/i;

/** Azure's throttling messages say "Please retry after 1 second." or "Try again in 23 seconds." */
function retryHintMs(message: string | undefined): number | undefined {
  const match = message === undefined ? null : RETRY_HINT.exec(message);
  if (!match) return undefined;
  const unit = (match[2] ?? '').toLowerCase();
  const scale = unit === 'ms' || unit.startsWith('milli') ? 1 : unit.startsWith('min') ? 60_000 : 1000;
  return Math.round(Number(match[1]) * scale);
}

function defaultRejection(status: number): string {
  switch (status) {
    case 401:
      return 'This device is not paired with the Sightline server: open /pair and enter the device code (HTTP 401)';
    case 403:
      return 'The prediction service refused access: check the key and its quota (HTTP 403)';
    case 404:
      return 'The model was not found on the server (HTTP 404)';
    case 413:
      return 'The frame is too large for the server (HTTP 413)';
    case 415:
      return 'The server does not accept this image type (HTTP 415)';
    default:
      return `The server refused the frame (HTTP ${status})`;
  }
}

/** Classifies an HTTP error answer from the prediction route. `now` is injectable for Retry-After dates. */
export function parseFailure(
  status: number,
  headers: Headers,
  bodyText: string,
  now: () => number = () => Date.now(),
): PredictionFailure {
  const { code, message: upstream } = parseErrorBody(bodyText);
  const message = (fallback: string) => (upstream === undefined ? fallback : shorten(upstream));
  const retryAfterMs = () => {
    const serverDate = headers.get('date');
    const fromHeader = parseRetryAfter(
      headers.get('retry-after'),
      now(),
      serverDate === null ? undefined : Date.parse(serverDate),
    );
    // The hint is read from the whole message: Azure's sits at the end of a sentence longer than 200 chars.
    return fromHeader ?? retryHintMs(upstream);
  };

  if (status === 429) {
    return {
      kind: 'rate-limited',
      status,
      code,
      message: message('Rate-limited by the server'),
      retryAfterMs: retryAfterMs(),
    };
  }
  if (status === 502 || status === 503 || status === 504) {
    const fallback =
      status === 503
        ? 'The prediction service is temporarily unavailable (HTTP 503)'
        : status === 504
          ? 'The prediction service did not answer in time (HTTP 504)'
          : 'The prediction service could not be reached (HTTP 502)';
    return { kind: 'unavailable', status, code, message: message(fallback), retryAfterMs: retryAfterMs() };
  }
  if (status >= 400 && status < 500) {
    return { kind: 'rejected', status, code, message: message(defaultRejection(status)) };
  }
  const fallback =
    status >= 500 && status < 600
      ? `The Sightline server failed (HTTP ${status})`
      : `The Sightline server gave an unexpected answer (HTTP ${status})`;
  return { kind: 'server-error', status, code, message: message(fallback) };
}

export type PredictOutcome =
  { ok: true; prediction: ImagePrediction; status: number } | { ok: false; failure: PredictionFailure };

export interface PredictOptions {
  /** Aborting rejects with the signal's reason (an AbortError): the loop stopping is not a failure. */
  readonly signal: AbortSignal;
  /** Our own deadline for the whole exchange, body included; passing it gives a `timeout` failure. */
  readonly timeoutMs: number;
  /** Injected in tests; defaults to the global `fetch`. */
  readonly fetchImpl?: typeof fetch;
  /** The clock for Retry-After dates; injected in tests. */
  readonly now?: () => number;
}

/** setTimeout fires at once for longer delays (and warns in Node), so longer deadlines are capped. */
const MAX_TIMER_MS = 2_147_483_647;

function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${Math.round(ms / 100) / 10} s`;
}

/** fetch takes only ArrayBuffer-backed views; a view over shared memory has to be copied first. */
function toBody(image: Blob | ArrayBuffer | Uint8Array): Blob | ArrayBuffer | Uint8Array<ArrayBuffer> {
  if (!(image instanceof Uint8Array)) return image;
  return isArrayBufferBacked(image) ? image : image.slice();
}

function parseSuccess(status: number, text: string): PredictOutcome {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!isObject(json)) {
    const what = text.trim() === '' ? 'an empty body' : 'something other than a JSON object';
    const message = `The Sightline server answered HTTP ${status} with ${what} instead of a prediction`;
    return { ok: false, failure: { kind: 'server-error', status, message } };
  }
  return { ok: true, prediction: parseImagePrediction(json), status };
}

/**
 * POSTs one image's bytes to a prediction route of the Sightline server and classifies the answer. Resolves
 * for every outcome except the caller's abort, which rejects with the signal's reason; an unexpected
 * (non-TypeError) exception from `fetchImpl` is a bug and is rethrown.
 */
export async function predictImage(
  path: string,
  image: Blob | ArrayBuffer | Uint8Array,
  options: PredictOptions,
): Promise<PredictOutcome> {
  const { signal, timeoutMs } = options;
  if (!(timeoutMs > 0)) throw new RangeError(`timeoutMs must be a positive number; it is ${timeoutMs}`);
  signal.throwIfAborted();
  const doFetch = options.fetchImpl ?? fetch;
  const now = options.now ?? (() => Date.now());

  // One controller for both reasons to stop, built by hand: AbortSignal.any/timeout have leaked listeners
  // in some engines, and this runs several times a second for days on kiosks.
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(
    () => {
      timedOut = true;
      controller.abort(new DOMException(`No answer within ${formatMs(timeoutMs)}`, 'TimeoutError'));
    },
    Math.min(timeoutMs, MAX_TIMER_MS),
  );
  const onAbort = () => controller.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });

  try {
    let response: Response;
    let text: string;
    try {
      response = await doFetch(path, {
        method: 'POST',
        body: toBody(image),
        headers: { 'Content-Type': 'application/octet-stream', Accept: 'application/json' },
        signal: controller.signal,
      });
      // Read inside the deadline: a server that sends headers and then stalls is as stuck as a silent one.
      text = await response.text();
    } catch (error) {
      signal.throwIfAborted(); // the caller's stop wins over any other reason
      if (timedOut) {
        const message = `The Sightline server did not answer within ${formatMs(timeoutMs)}`;
        return { ok: false, failure: { kind: 'timeout', message } };
      }
      // Browsers reject fetch with a TypeError for every network failure ("Failed to fetch", "Load failed").
      if (error instanceof TypeError) {
        return { ok: false, failure: { kind: 'network', message: 'Cannot reach the Sightline server' } };
      }
      throw error;
    }
    if (!response.ok) {
      return { ok: false, failure: parseFailure(response.status, response.headers, text, now) };
    }
    return parseSuccess(response.status, text);
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
  }
}
