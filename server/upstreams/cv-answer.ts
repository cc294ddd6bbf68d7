// Judges what Custom Vision sent back before it is relayed: a success must be JSON (an ImagePrediction,
// or for some training calls any JSON value, or nothing at all for a 204);
// an error is relayed as it is when it is JSON, and otherwise replaced by a Custom Vision-shaped error
// that says what came back, so clients always get something they can parse. Throttling answers always
// carry a Retry-After.
import { CvErrorCode } from '../http/cv-error.ts';
import type { UpstreamAnswer } from './upstream.ts';

/**
 * What a success may hold: a JSON object or array (predictions and most training answers), or also any
 * JSON value or no body at all (training: publishing answers `true`, deleting answers 204).
 */
export type AcceptedAnswers = 'object' | 'any-json-or-empty';

export interface JudgedAnswer {
  readonly answer: UpstreamAnswer;
  /** For the trace: the status, or "invalid-json" for a success that is not JSON. */
  readonly outcome: string;
  /** Whether this says the upstream is in trouble (for the circuit breaker). */
  readonly upstreamFailed: boolean;
  /** Whether another attempt may get a better answer (429, 503). */
  readonly retryable: boolean;
}

/**
 * Whether the body is a JSON object or array. A success that says it is JSON and is framed like an object
 * ("{" first and "}" last) is taken at its word: parsing every prediction here, only for the client to
 * parse it again, was a sizeable part of what forwarding cost. Anything else is parsed to be sure.
 */
const isJson = (status: number, body: Buffer, contentType: string | undefined) => {
  let last = body.length - 1;
  while (last > 0 && (body[last] === 0x20 || body[last] === 0x0a || body[last] === 0x0d)) last--;
  const framed = body[0] === 0x7b && body[last] === 0x7d;
  const success = status >= 200 && status < 300;
  if (success && framed && contentType && /^application\/(?:[\w.+-]+\+)?json\b/i.test(contentType)) {
    return true;
  }
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return typeof value === 'object' && value !== null;
  } catch {
    return false;
  }
};

/** "Please retry after 3 seconds." -> "3" */
const hintedSeconds = (body: Buffer) =>
  /retry after (\d+) second|try again in (\d+) second/i
    .exec(body.toString('utf8').slice(0, 2000))
    ?.slice(1)
    .find(Boolean);

function cvJson(
  status: number,
  code: string,
  message: string,
  headers: Record<string, string>,
): UpstreamAnswer {
  return {
    status,
    headers: { ...headers, 'content-type': 'application/json; charset=utf-8' },
    body: Buffer.from(JSON.stringify({ code, message })),
  };
}

/** A JSON value of any kind (true, 3, "x"), or no body: what some training answers are. */
const isJsonOrEmpty = (body: Buffer) => {
  if (body.toString('utf8').trim() === '') return true;
  try {
    JSON.parse(body.toString('utf8'));
    return true;
  } catch {
    return false;
  }
};

export function judgeAnswer(
  raw: UpstreamAnswer,
  host: string,
  accepts: AcceptedAnswers = 'object',
): JudgedAnswer {
  const { status } = raw;
  const ok = status >= 200 && status < 300;
  const json =
    isJson(status, raw.body, raw.headers['content-type']) ||
    (ok && accepts === 'any-json-or-empty' && isJsonOrEmpty(raw.body));
  if (ok && !json) {
    return {
      answer: cvJson(
        502,
        CvErrorCode.ErrorPrediction,
        `Custom Vision at ${host} answered HTTP ${status} with a body that is not JSON.`,
        {},
      ),
      outcome: 'invalid-json',
      upstreamFailed: true,
      retryable: false,
    };
  }
  let answer = json
    ? raw
    : cvJson(
        status,
        status >= 500 ? CvErrorCode.ErrorPredictionServiceUnavailable : CvErrorCode.ErrorUnknown,
        `Custom Vision at ${host} answered HTTP ${status} with a body that is not JSON.`,
        raw.headers,
      );
  if ((status === 429 || status === 503) && !answer.headers['retry-after']) {
    answer = { ...answer, headers: { ...answer.headers, 'retry-after': hintedSeconds(raw.body) ?? '1' } };
  }
  return {
    answer,
    outcome: String(status),
    upstreamFailed: status >= 500,
    retryable: status === 429 || status === 503,
  };
}
