// Forwards validated prediction requests to Azure Custom Vision. The server adds the Prediction-Key
// itself; nothing the client sent beyond the image (or URL) and the `application` parameter goes on, so
// no client credential (a device token in Prediction-Key included) is ever forwarded. Upstream answers,
// errors and Retry-After reach the client intact; an unreachable or slow upstream gets a Custom
// Vision-shaped 502/504 saying what happened. 429s and 503s are retried with backoff within the deadline
// (each retry admitted by the budget), and a circuit breaker answers fast 503s while Azure is down.
import { Pool } from 'undici';
import type { CustomVisionConfig } from './custom-vision-config.ts';
import { CvError, CvErrorCode } from '../http/cv-error.ts';
import { CircuitBreaker } from '../resilience/circuit-breaker.ts';
import { backoffMs, retryAfterMs, sleep } from '../resilience/retry.ts';
import { predictionPath } from '../../src/shared/custom-vision-path.ts';
import { KeyLeakDetector } from '../observability/key-leaks.ts';
import { judgeAnswer } from './cv-answer.ts';
import { describeNetworkError, postOnce } from './http-post.ts';
import type {
  PredictionRequest,
  PredictionUpstream,
  ServedModel,
  UpstreamAnswer,
  UpstreamHealth,
} from './upstream.ts';

/** No retry unless at least this much of the deadline is left for it. */
const MIN_ATTEMPT_MS = 250;

interface Attempt {
  readonly outcome: string;
  /** For health output: what the last call came to. */
  readonly describe: string;
  readonly upstreamFailed: boolean;
  readonly retryable: boolean;
  /** The connection failed (reset, refused): safe to retry for a prediction that stores nothing. */
  readonly network?: boolean;
  readonly retryAfterMs?: number;
  /** The answer to relay, or throws the error to answer with. */
  readonly finish: () => UpstreamAnswer;
}

export class CustomVisionUpstream implements PredictionUpstream {
  readonly model: ServedModel;
  readonly acceptsUrls = true;
  private readonly pool: Pool;
  private readonly host: string;
  private last: { at: string; outcome: string } | undefined;
  private readonly breaker: CircuitBreaker;
  private readonly keyLeaks: KeyLeakDetector;

  constructor(private readonly config: CustomVisionConfig) {
    const url = new URL(config.endpoint);
    this.host = url.host;
    // Keep-alive: a camera loop sends several requests a second; a new TLS handshake each time would
    // cost more than the prediction. The deadline is this class's own (attempt), so undici's own header
    // and body timeouts are only a backstop beyond it.
    this.pool = new Pool(url.origin, {
      connections: 64,
      keepAliveTimeout: 30_000,
      headersTimeout: config.timeoutMs + 5_000,
      bodyTimeout: config.timeoutMs + 5_000,
    });
    this.breaker = new CircuitBreaker(config.breaker.threshold, config.breaker.cooldownMs);
    this.keyLeaks = new KeyLeakDetector(config.predictionKey);
    this.model = {
      source: 'custom-vision',
      projectId: config.projectId,
      publishedName: config.publishedName,
      type: config.projectType,
      name: `Custom Vision project ${config.projectId} (${config.publishedName})`,
    };
  }

  async predict(request: PredictionRequest): Promise<UpstreamAnswer> {
    const waitMs = this.breaker.check();
    if (waitMs !== undefined) {
      request.trace.refused = 'circuit-open';
      const seconds = Math.max(1, Math.ceil(waitMs / 1000));
      throw new CvError(
        503,
        CvErrorCode.ErrorPredictionServiceUnavailable,
        `Custom Vision at ${this.host} is failing (${this.last?.outcome ?? 'repeated errors'}); not asking it again for ${seconds} s. Please retry after ${seconds} seconds.`,
        { 'Retry-After': String(seconds) },
      );
    }
    const path =
      predictionPath(request.route) +
      (request.application ? `?application=${encodeURIComponent(request.application)}` : '');
    const body = request.image ? request.image.bytes : Buffer.from(JSON.stringify({ url: request.imageUrl }));
    const contentType = request.image ? 'application/octet-stream' : 'application/json';
    const deadline = performance.now() + this.config.timeoutMs;
    let settled = false;
    try {
      let ticket = await request.admit();
      for (let attempt = 0; ; attempt++) {
        const result = await this.attempt(path, body, contentType, request, deadline, ticket);
        request.trace.outcomes.push(result.outcome);
        this.last = { at: new Date().toISOString(), outcome: result.describe };
        settled = true;
        if (result.upstreamFailed) this.breaker.failure();
        else this.breaker.success();
        const retryable = result.retryable || (result.network === true && !request.route.store);
        const delay = result.retryAfterMs ?? backoffMs(attempt);
        // Retry only while the client is there, attempts are left, and the wait plus a useful attempt fit
        // before the deadline; and only if the budget has room for another call.
        if (
          !retryable ||
          attempt >= this.config.retries ||
          performance.now() + delay + MIN_ATTEMPT_MS > deadline
        ) {
          return result.finish();
        }
        await sleep(delay, request.client.signal);
        if (this.breaker.check() !== undefined) return result.finish();
        settled = false;
        // Giving up from here on leaves `settled` false: the finally block tells the breaker.
        try {
          ticket = await request.admit();
        } catch {
          return result.finish();
        }
        // The budget may have waited a moment for room: retry only if a useful attempt still fits.
        if (performance.now() + MIN_ATTEMPT_MS > deadline) {
          ticket.sent(); // admitted: counted as sent, never an undercount
          return result.finish();
        }
      }
    } finally {
      if (!settled) this.breaker.abandoned();
    }
  }

  /** One call upstream, its outcome judged; never throws except when the client has gone. */
  private async attempt(
    path: string,
    body: Buffer,
    contentType: string,
    request: PredictionRequest,
    deadline: number,
    ticket: { sent(): void },
  ): Promise<Attempt> {
    // Two reasons to stop: the client left, or the deadline passed. A plain timer and the call's own
    // abort rather than AbortSignals, which cost more per request (see client-presence.ts) and whose
    // AbortSignal.timeout has leaked on Node 20.
    const call = postOnce(this.pool, {
      path,
      body,
      headers: { 'prediction-key': this.config.predictionKey, 'content-type': contentType },
      // The budget counts this call from when it goes out, not from its admission.
      onSent: () => ticket.sent(),
    });
    let timedOut = false;
    const timer = setTimeout(
      () => {
        timedOut = true;
        call.abort(new Error('deadline passed'));
      },
      Math.max(1, deadline - performance.now()),
    );
    const stopWatching = request.client.onGone(() =>
      call.abort(new Error('the client closed the connection')),
    );
    try {
      const raw = this.withoutKey(await call.answer);
      const judged = judgeAnswer(raw, this.host);
      // Azure's own Retry-After, if it gave one (not the default added for the client): else back off.
      const retryAfter = retryAfterMs(raw.headers['retry-after']);
      return {
        ...judged,
        describe: `HTTP ${judged.answer.status}${judged.outcome === 'invalid-json' ? ' (not JSON)' : ''}`,
        ...(retryAfter !== undefined ? { retryAfterMs: retryAfter } : {}),
        finish: () => judged.answer,
      };
    } catch (error) {
      if (request.client.gone) throw error; // the client left; nobody to answer
      const reason = timedOut
        ? `Custom Vision at ${this.host} did not answer within ${this.config.timeoutMs} ms (CUSTOM_VISION_TIMEOUT_MS).`
        : `Could not reach Custom Vision at ${this.host}: ${describeNetworkError(error)}.`;
      const failure = new CvError(
        timedOut ? 504 : 502,
        CvErrorCode.ErrorPredictionServiceUnavailable,
        reason,
      );
      return {
        outcome: timedOut ? 'timeout' : 'network',
        describe: reason,
        upstreamFailed: true,
        retryable: false,
        network: !timedOut,
        finish: () => {
          throw failure;
        },
      };
    } finally {
      ticket.sent(); // if the request never went out, count it as sent now: never an undercount
      clearTimeout(timer);
      stopWatching();
    }
  }

  /**
   * An upstream (or something posing as one) that echoes the key must not get it relayed to a client, in
   * any form a client could turn back into the key (see key-leaks.ts): not in the body (redacted) and not
   * in a relayed header (dropped).
   */
  private withoutKey(answer: UpstreamAnswer): UpstreamAnswer {
    let { headers } = answer;
    if (Object.values(headers).some((value) => this.keyLeaks.leaks(value))) {
      headers = Object.fromEntries(
        Object.entries(headers).filter(([, value]) => !this.keyLeaks.leaks(value)),
      );
    }
    const body = this.keyLeaks.scrubBody(answer.body);
    return headers === answer.headers && body === answer.body ? answer : { ...answer, headers, body };
  }

  budget() {
    return this.config.budget;
  }

  health(): UpstreamHealth {
    const circuit = this.breaker.state();
    return {
      // An open circuit means Azure is failing: this instance can only answer 503 until it recovers.
      ready: circuit !== 'open',
      detail:
        `Forwarding to Custom Vision at ${this.host}` +
        (this.last ? `; last answer: ${this.last.outcome}` : '; no request yet.') +
        (circuit === 'closed' ? '' : ` Circuit ${circuit}: answering 503 until a probe succeeds.`),
      endpointHost: this.host,
      circuit,
      lastUpstream: this.last,
    };
  }

  close(): Promise<void> {
    return this.pool.destroy();
  }
}
