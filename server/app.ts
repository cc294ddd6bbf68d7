// Builds the request handler. Every request gets an id, the security headers and the origin policy;
// then health and readiness (open to probes), pairing, the API and metrics (behind access control), and
// the built app (open: it holds no secret). Each answer is logged as one JSON line and counted.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { watchClient, type ClientPresence } from './http/client-presence.ts';
import { CvError, CvErrorCode, sendCvError, sendJson } from './http/cv-error.ts';
import type { Budget } from './limits/budget.ts';
import type { Logger } from './observability/logger.ts';
import { Metrics, type RouteName } from './observability/metrics.ts';
import { sendConfig, sendHealth, sendMetrics, sendReady, type InfoSources } from './routes/info.ts';
import { handlePair } from './routes/pair.ts';
import { handlePrediction } from './routes/prediction.ts';
import { PREDICTION_PREFIX } from './routes/prediction-route.ts';
import { serveStatic } from './routes/static.ts';
import type { AccessControl, Caller } from './security/access.ts';
import { clientAddress, isSecure } from './security/client-address.ts';
import { applyOriginPolicy } from './security/cors.ts';
import { setSecurityHeaders } from './security/headers.ts';
import type { TokenStore } from './security/token-store.ts';
import type { PredictionUpstream, UpstreamTrace } from './upstreams/upstream.ts';

export interface AppOptions {
  readonly upstream: PredictionUpstream;
  /** The built front end (dist/). */
  readonly staticDir: string;
  readonly log: Logger;
  readonly access: AccessControl;
  readonly tokens: TokenStore;
  readonly budget: Budget;
  readonly allowedOrigins: readonly string[];
  readonly trustProxy: number;
  readonly bodyIdleMs: number;
}

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface App {
  readonly handle: RequestHandler;
  readonly metrics: Metrics;
  /** Requests being handled now. */
  inFlight(): number;
  /** From now on: not ready, and every new request is refused with 503 and its connection closed. */
  drain(): void;
}

/** Accept a proxy's request id so one id follows the request through; otherwise make one. */
const requestId = (req: IncomingMessage) => {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(given) ? given : randomUUID();
};

/**
 * The request target as a URL, or undefined when it is not one: Node's HTTP parser accepts targets such as
 * "//[" that the URL parser then refuses, and that refusal must become a 400, not a crash.
 */
function parseTarget(target: string | undefined): URL | undefined {
  try {
    return new URL(target ?? '/', 'http://server.invalid');
  } catch {
    return undefined;
  }
}

/** What the log and the metrics call a request whose target is not a URL. */
const UNPARSABLE_PATH = '(unparsable target)';

function routeName(path: string): RouteName {
  if (path === UNPARSABLE_PATH) return 'other';
  if (path.toLowerCase().startsWith(PREDICTION_PREFIX)) return 'prediction';
  const names: Record<string, RouteName> = {
    '/api/health': 'health',
    '/api/ready': 'ready',
    '/api/config': 'config',
    '/metrics': 'metrics',
    '/pair': 'pair',
  };
  return names[path] ?? (path.startsWith('/api/') ? 'other' : 'static');
}

function onlyGet(req: IncomingMessage, path: string): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    throw new CvError(405, CvErrorCode.BadRequestNotSupported, `${path} takes GET, not ${req.method}.`, {
      Allow: 'GET, HEAD',
    });
  }
}

export function createApp(options: AppOptions): App {
  const { upstream, staticDir, log, access, tokens, budget, trustProxy } = options;
  let inFlight = 0;
  let draining = false;
  const metrics = new Metrics({
    inFlight: () => inFlight,
    queueDepth: () => Number(upstream.health()['queued'] ?? 0),
    budgetFallback: () => budget.state().mode === 'fallback',
  });
  const info: InfoSources = {
    upstream,
    budget,
    tokens,
    metrics,
    startedAt: performance.now(),
    draining: () => draining,
  };
  const policy = { allowedOrigins: options.allowedOrigins, openLoopback: !access.enabled };

  async function route(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    context: {
      address: string;
      secure: boolean;
      client: ClientPresence;
      trace: UpstreamTrace;
      caller?: Caller;
    },
  ): Promise<void> {
    const path = url.pathname;
    if (applyOriginPolicy(req, res, policy, context.secure)) return; // a preflight, answered
    if (path === '/api/health' || path === '/api/ready') {
      onlyGet(req, path);
      const authorised = access.identify(req, context.address) !== undefined;
      if (path === '/api/health') sendHealth(res, info, authorised);
      else sendReady(res, info, authorised);
      return;
    }
    if (path === '/pair') {
      await handlePair(req, res, url, access, context.address, options.bodyIdleMs);
      return;
    }
    const isApi =
      path.toLowerCase().startsWith(PREDICTION_PREFIX) || path.startsWith('/api/') || path === '/metrics';
    if (!isApi) {
      await serveStatic(req, res, url, staticDir);
      return;
    }
    const caller = await access.require(req, context.address).catch((error: unknown) => {
      if (error instanceof CvError && error.status === 429) metrics.rejected('auth-failures');
      throw error;
    });
    context.caller = caller;
    if (path.toLowerCase().startsWith(PREDICTION_PREFIX)) {
      await handlePrediction(req, res, url, {
        upstream,
        budget,
        caller,
        bodyIdleMs: options.bodyIdleMs,
        ...context,
      });
    } else if (path === '/api/config') {
      onlyGet(req, path);
      sendConfig(res, info);
    } else if (path === '/metrics') {
      onlyGet(req, path);
      await sendMetrics(res, metrics);
    } else {
      throw new CvError(
        404,
        CvErrorCode.NotFound,
        `No API route ${path}. The API has /api/health, /api/ready and /api/config.`,
      );
    }
  }

  const handle: RequestHandler = (req, res) => {
    const started = performance.now();
    inFlight++;
    const id = requestId(req);
    const address = clientAddress(req, trustProxy);
    const secure = isSecure(req, trustProxy);
    setSecurityHeaders(res, secure);
    res.setHeader('X-Request-Id', id);
    // Gone when the client disconnects before the answer is complete, so upstream work stops too.
    const client = watchClient(res);
    const url = parseTarget(req.url);
    const path = url?.pathname ?? UNPARSABLE_PATH;
    const context = {
      address,
      secure,
      client,
      trace: { outcomes: [] } as UpstreamTrace,
      caller: undefined as Caller | undefined,
    };

    const work = draining
      ? Promise.reject(
          new CvError(
            503,
            CvErrorCode.ErrorPredictionServiceUnavailable,
            'This server is shutting down; retry on another instance.',
            { 'Retry-After': '1' },
          ),
        )
      : url
        ? route(req, res, url, context)
        : Promise.reject(new CvError(400, CvErrorCode.BadRequest, 'The request target is not a valid path.'));
    work
      .catch((error: unknown) => {
        if (client.gone) return;
        const known = error instanceof CvError;
        if (!known) log.error({ reqId: id, path, err: error as Error }, 'request failed');
        const cvError = known
          ? error
          : new CvError(
              500,
              CvErrorCode.ErrorUnknown,
              'The server failed to handle this request; see its log for details.',
            );
        if (res.headersSent) {
          res.destroy();
          return;
        }
        // After a refused body the rest of it may still be arriving, and a draining server wants its
        // connections back: close rather than keep the connection.
        if (!req.complete || draining) res.setHeader('Connection', 'close');
        sendCvError(res, cvError);
      })
      .finally(() => {
        inFlight--;
        const ms = Math.round((performance.now() - started) * 10) / 10;
        const name = routeName(path);
        const status = client.gone ? 499 : res.statusCode;
        metrics.request(name, status, ms / 1000);
        if (name === 'prediction') metrics.upstream(context.trace.outcomes, context.trace.refused);
        const { outcomes, refused } = context.trace;
        // Probes and scrapes come every few seconds: logged only at debug level unless they fail.
        const quiet = (name === 'health' || name === 'ready' || name === 'metrics') && status < 400;
        const level = quiet ? 'debug' : 'info';
        if (!log.isLevelEnabled(level)) return; // a busy server at LOG_LEVEL=warn builds no line at all
        log[level](
          {
            reqId: id,
            method: req.method,
            path,
            status,
            ms,
            client: context.caller?.label ?? address,
            ...(outcomes.length || refused
              ? { upstream: { outcomes, ...(refused ? { refused } : {}) } }
              : {}),
          },
          'request',
        );
      });
  };

  return {
    handle,
    metrics,
    inFlight: () => inFlight,
    drain: () => {
      draining = true;
    },
  };
}

export { sendJson };
