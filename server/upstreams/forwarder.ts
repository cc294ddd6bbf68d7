// One call to a Custom Vision service (prediction or training), with everything a forwarded call needs:
// the server's own key added (nothing the client sent as a credential goes on), keep-alive connections
// from undici's pool, a deadline for the whole answer, retries of 429 and 503 with backoff (Azure's
// Retry-After when it gives one) each admitted by the budget, and a circuit breaker that answers fast 503s
// while the service is down. Answers and errors reach the client intact, scrubbed of the key; an
// unreachable or slow service gets a Custom Vision-shaped 502/504 saying what happened.
import { Pool } from 'undici';
import type { ClientPresence } from '../http/client-presence.ts';
import { CvError, CvErrorCode } from '../http/cv-error.ts';
import { KeyLeakDetector } from '../observability/key-leaks.ts';
import { CircuitBreaker } from '../resilience/circuit-breaker.ts';
import { backoffMs, retryAfterMs, sleep } from '../resilience/retry.ts';
import { judgeAnswer, type AcceptedAnswers } from './cv-answer.ts';
import { describeNetworkError, sendOnce } from './http-post.ts';
import type { UpstreamAnswer, UpstreamHealth, UpstreamTrace } from './upstream.ts';

/** No retry unless at least this much of the deadline is left for it. */
const MIN_ATTEMPT_MS = 250;

export interface ForwarderSettings {
  /** Scheme and host (and port) of the service. */
  readonly endpoint: string;
  /** The header the service reads its key from, and the key. */
  readonly keyHeader: string;
  readonly key: string;
  /** How messages name the service: "Custom Vision", "Custom Vision training". */
  readonly serviceName: string;
  readonly timeoutMs: number;
  readonly retries: number;
  readonly breaker: { readonly threshold: number; readonly cooldownMs: number };
}

export interface ForwardCall {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** Path and query on the service's origin. */
  readonly path: string;
  readonly body?: Buffer;
  readonly contentType?: string;
  /**
   * Reserves one upstream call in the budget; called before each call (retries included), with sent()
   * called on the result once the call's request has gone out. Throws a 429 CvError when it is spent.
   */
  readonly admit: () => Promise<{ sent(): void }>;
  readonly client: ClientPresence;
  readonly trace: UpstreamTrace;
  /** Whether a call whose connection failed may be sent again: only one that changes nothing upstream. */
  readonly retryNetwork: boolean;
  /** What a success may hold (see cv-answer.ts). */
  readonly accepts?: AcceptedAnswers;
}

interface Attempt {
  readonly outcome: string;
  /** For health output: what the last call came to. */
  readonly describe: string;
  readonly upstreamFailed: boolean;
  readonly retryable: boolean;
  /** The connection failed (reset, refused). */
  readonly network?: boolean;
  readonly retryAfterMs?: number;
  /** The answer to relay, or throws the error to answer with. */
  readonly finish: () => UpstreamAnswer;
}

export class Forwarder {
  readonly host: string;
  private readonly pool: Pool;
  private last: { at: string; outcome: string } | undefined;
  private readonly breaker: CircuitBreaker;
  private readonly keyLeaks: KeyLeakDetector;

  constructor(private readonly settings: ForwarderSettings) {
    const url = new URL(settings.endpoint);
    this.host = url.host;
    // Keep-alive: a camera loop sends several requests a second; a new TLS handshake each time would
    // cost more than the prediction. The deadline is this class's own (attempt), so undici's own header
    // and body timeouts are only a backstop beyond it.
    this.pool = new Pool(url.origin, {
      connections: 64,
      keepAliveTimeout: 30_000,
      headersTimeout: settings.timeoutMs + 5_000,
      bodyTimeout: settings.timeoutMs + 5_000,
    });
    this.breaker = new CircuitBreaker(settings.breaker.threshold, settings.breaker.cooldownMs);
    this.keyLeaks = new KeyLeakDetector(settings.key);
  }

  async forward(call: ForwardCall): Promise<UpstreamAnswer> {
    const waitMs = this.breaker.check();
    if (waitMs !== undefined) {
      call.trace.refused = 'circuit-open';
      const seconds = Math.max(1, Math.ceil(waitMs / 1000));
      throw new CvError(
        503,
        CvErrorCode.ErrorPredictionServiceUnavailable,
        `${this.settings.serviceName} at ${this.host} is failing (${this.last?.outcome ?? 'repeated errors'}); not asking it again for ${seconds} s. Please retry after ${seconds} seconds.`,
        { 'Retry-After': String(seconds) },
      );
    }
    const deadline = performance.now() + this.settings.timeoutMs;
    let settled = false;
    try {
      let ticket = await call.admit();
      for (let attempt = 0; ; attempt++) {
        const result = await this.attempt(call, deadline, ticket);
        call.trace.outcomes.push(result.outcome);
        this.last = { at: new Date().toISOString(), outcome: result.describe };
        settled = true;
        if (result.upstreamFailed) this.breaker.failure();
        else this.breaker.success();
        const retryable = result.retryable || (result.network === true && call.retryNetwork);
        const delay = result.retryAfterMs ?? backoffMs(attempt);
        // Retry only while the client is there, attempts are left, and the wait plus a useful attempt fit
        // before the deadline; and only if the budget has room for another call.
        if (
          !retryable ||
          attempt >= this.settings.retries ||
          performance.now() + delay + MIN_ATTEMPT_MS > deadline
        ) {
          return result.finish();
        }
        await sleep(delay, call.client.signal);
        if (this.breaker.check() !== undefined) return result.finish();
        settled = false;
        // Giving up from here on leaves `settled` false: the finally block tells the breaker.
        try {
          ticket = await call.admit();
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
  private async attempt(call: ForwardCall, deadline: number, ticket: { sent(): void }): Promise<Attempt> {
    // Two reasons to stop: the client left, or the deadline passed. A plain timer and the call's own
    // abort rather than AbortSignals, which cost more per request (see client-presence.ts) and whose
    // AbortSignal.timeout has leaked on Node 20.
    const headers: Record<string, string> = { [this.settings.keyHeader]: this.settings.key };
    if (call.contentType) headers['content-type'] = call.contentType;
    const sent = sendOnce(this.pool, {
      method: call.method,
      path: call.path,
      ...(call.body ? { body: call.body } : {}),
      headers,
      // The budget counts this call from when it goes out, not from its admission.
      onSent: () => ticket.sent(),
    });
    let timedOut = false;
    const timer = setTimeout(
      () => {
        timedOut = true;
        sent.abort(new Error('deadline passed'));
      },
      Math.max(1, deadline - performance.now()),
    );
    const stopWatching = call.client.onGone(() => sent.abort(new Error('the client closed the connection')));
    try {
      const raw = this.withoutKey(await sent.answer);
      const judged = judgeAnswer(raw, this.host, call.accepts);
      // Azure's own Retry-After, if it gave one (not the default added for the client): else back off.
      const retryAfter = retryAfterMs(raw.headers['retry-after']);
      return {
        ...judged,
        describe: `HTTP ${judged.answer.status}${judged.outcome === 'invalid-json' ? ' (not JSON)' : ''}`,
        ...(retryAfter !== undefined ? { retryAfterMs: retryAfter } : {}),
        finish: () => judged.answer,
      };
    } catch (error) {
      if (call.client.gone) throw error; // the client left; nobody to answer
      const { serviceName } = this.settings;
      const reason = timedOut
        ? `${serviceName} at ${this.host} did not answer within ${this.settings.timeoutMs} ms (CUSTOM_VISION_TIMEOUT_MS).`
        : `Could not reach ${serviceName} at ${this.host}: ${describeNetworkError(error)}.`;
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
   * A service (or something posing as one) that echoes the key must not get it relayed to a client, in
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

  /** For health output: `what` ("Forwarding to Custom Vision"), where, how the last call went, the circuit. */
  health(what: string): UpstreamHealth {
    const circuit = this.breaker.state();
    const last = this.last;
    return {
      // An open circuit means the service is failing: only 503s until it recovers.
      ready: circuit !== 'open',
      detail:
        `${what} at ${this.host}` +
        (last ? `; last answer: ${last.outcome}` : '; no request yet.') +
        (circuit === 'closed' ? '' : ` Circuit ${circuit}: answering 503 until a probe succeeds.`),
      endpointHost: this.host,
      circuit,
      lastUpstream: last,
    };
  }

  close(): Promise<void> {
    return this.pool.destroy();
  }
}
