// Builds the request handler. Every request gets an id, the security headers and the origin policy;
// then health and readiness (open to probes), pairing, the API and metrics (behind access control), and
// the built app (open: it holds no secret). Each answer is logged as one JSON line and counted.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { watchClient, type ClientPresence } from './http/client-presence.ts';
import { CvError, CvErrorCode, sendCvError } from './http/cv-error.ts';
import { requestInProcess, type InProcessOptions, type RequestHandler } from './http/in-process.ts';
import type { Budget } from './limits/budget.ts';
import type { Logger } from './observability/logger.ts';
import { Metrics, type MetricRouteName } from './observability/metrics.ts';
import { sendConfig, sendHealth, sendMetrics, sendReady, type InfoSources } from './routes/info.ts';
import { PublishedIterationWatch } from './routes/published-iteration.ts';
import { handlePair } from './routes/pair.ts';
import { handlePrediction } from './routes/prediction.ts';
import { sendModelPackage } from './routes/model-package.ts';
import { serveStatic } from './routes/static.ts';
import { BodyMemory } from './routes/body-memory.ts';
import { handleTraining } from './routes/training.ts';
import { requireRole, type AccessControl, type Caller } from './security/access.ts';
import { clientAddress, isSecure } from './security/client-address.ts';
import { applyOriginPolicy } from './security/cors.ts';
import { setSecurityHeaders } from './security/headers.ts';
import type { TokenStore } from './security/token-store.ts';
import type { TrainingBackend } from './upstreams/training-backend.ts';
import { hasPublishedModels, type PredictionUpstream, type UpstreamTrace } from './upstreams/upstream.ts';
import {
  findRoute,
  isServerPath,
  SERVER_ROUTES,
  type RouteName,
  type ServerRoute,
} from '../src/shared/server-routes.ts';

/** What the app knows of a request besides the request itself. */
interface RequestContext {
  readonly address: string;
  readonly secure: boolean;
  /** Whether the client is still there for the answer. */
  readonly client: ClientPresence;
  readonly trace: UpstreamTrace;
  /** Set once access control has identified the caller (token routes only). */
  caller?: Caller;
}

interface RouteCall {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  readonly context: RequestContext;
  readonly caller: Caller | undefined;
}

export interface AppOptions {
  readonly upstream: PredictionUpstream;
  /** The built front end (dist/). */
  readonly staticDir: string;
  readonly log: Logger;
  readonly access: AccessControl;
  readonly tokens: TokenStore;
  readonly budget: Budget;
  /** What answers the training routes, and its own budget (none when nothing upstream limits it). */
  readonly training: TrainingBackend;
  readonly trainingBudget: Budget | undefined;
  readonly allowedOrigins: readonly string[];
  readonly trustProxy: number;
  readonly bodyIdleMs: number;
}

export interface App {
  readonly handle: RequestHandler;
  /**
   * Calls the app in this process, with no socket: for tests where the network does not matter (see
   * http/in-process.ts). `target` is the path and query, sent exactly as written.
   */
  request(target: string, init?: RequestInit, options?: InProcessOptions): Promise<Response>;
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

/** The name of a request in the log and the metrics: its route, else "static" for the app's files. */
function requestName(path: string, route: ServerRoute | undefined): MetricRouteName {
  if (route) return route.name;
  return path === UNPARSABLE_PATH || isServerPath(path) ? 'other' : 'static';
}

function notAllowed(route: ServerRoute, method: string | undefined): CvError {
  const allow = route.methods.join(', ');
  return new CvError(
    405,
    CvErrorCode.BadRequestNotSupported,
    `${route.shape} takes ${route.methods.filter((m) => m !== 'HEAD').join(' or ')}, not ${method}.`,
    { Allow: allow },
  );
}

const noSuchRoute = (path: string) =>
  new CvError(
    404,
    CvErrorCode.NotFound,
    `No API route ${path}. The server answers ${SERVER_ROUTES.map((route) => route.shape).join(', ')}.`,
  );

export function createApp(options: AppOptions): App {
  const { upstream, staticDir, log, access, tokens, budget, trustProxy } = options;
  let inFlight = 0;
  let draining = false;
  // Large upload bodies being read at once, for every training request of this app together.
  const bodyMemory = new BodyMemory();
  const metrics = new Metrics({
    inFlight: () => inFlight,
    queueDepth: () => Number(upstream.health()['queued'] ?? 0),
    budgetFallback: () => budget.state().mode === 'fallback',
  });
  const info: InfoSources = {
    upstream,
    training: options.training,
    budget,
    trainingBudget: options.trainingBudget,
    publishedIteration: new PublishedIterationWatch(options.training, options.trainingBudget),
    tokens,
    metrics,
    startedAt: performance.now(),
    draining: () => draining,
  };
  const policy = { allowedOrigins: options.allowedOrigins, openLoopback: !access.enabled };

  /** What each route does once it is known to be called right (method) by someone allowed to (access). */
  const handlers: Record<RouteName, (call: RouteCall) => Promise<void> | void> = {
    health: ({ req, res, context }) =>
      sendHealth(res, info, access.identify(req, context.address) !== undefined),
    ready: ({ req, res, context }) =>
      sendReady(res, info, access.identify(req, context.address) !== undefined),
    pair: ({ req, res, url, context }) =>
      handlePair(req, res, url, access, context.address, options.bodyIdleMs),
    config: ({ res, caller }) => sendConfig(res, info, caller!),
    metrics: ({ res }) => sendMetrics(res, metrics),
    prediction: ({ req, res, url, context, caller }) =>
      handlePrediction(req, res, url, {
        upstream,
        ...(hasPublishedModels(options.training) ? { published: options.training } : {}),
        budget,
        caller: caller!,
        bodyIdleMs: options.bodyIdleMs,
        ...context,
      }),
    'model-package': ({ req, res, url }) => sendModelPackage(req, res, url, upstream),
    training: ({ req, res, url, context, caller }) =>
      handleTraining(req, res, url, {
        backend: options.training,
        budget: options.trainingBudget,
        caller: caller!,
        bodyIdleMs: options.bodyIdleMs,
        bodyMemory,
        ...context,
      }),
  };

  async function route(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    route: ServerRoute | undefined,
    context: RequestContext,
  ): Promise<void> {
    if (applyOriginPolicy(req, res, policy, context.secure)) return; // a preflight, answered
    if (!route && !isServerPath(url.pathname)) {
      await serveStatic(req, res, url, staticDir);
      return;
    }
    if (route && !route.methods.includes(req.method ?? '')) throw notAllowed(route, req.method);
    // Only a caller with a token learns which API paths do not exist.
    if (route?.access !== 'open') {
      context.caller = await access.require(req, context.address).catch((error: unknown) => {
        if (error instanceof CvError && error.status === 429) metrics.rejected('auth-failures');
        throw error;
      });
    }
    if (!route) throw noSuchRoute(url.pathname);
    // Roles: checked before any body is read, in Custom Vision's shape (403).
    const rule = route.access;
    if (typeof rule === 'object') {
      const needed = 'role' in rule ? rule.role : rule.roleOf(req.method ?? '', url.pathname);
      requireRole(context.caller!, needed, `${req.method} ${url.pathname}`);
    }
    await handlers[route.name]({ req, res, url, context, caller: context.caller });
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
    const matched = url ? findRoute(path) : undefined;
    const context: RequestContext = { address, secure, client, trace: { outcomes: [] } };

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
        ? route(req, res, url, matched, context)
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
        const name = requestName(path, matched);
        const status = client.gone ? 499 : res.statusCode;
        metrics.request(name, status, ms / 1000);
        if (name === 'prediction' || name === 'training') {
          metrics.upstream(context.trace.outcomes, context.trace.refused);
        }
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
    request: (target, init, requestOptions) => requestInProcess(handle, target, init, requestOptions),
    metrics,
    inFlight: () => inFlight,
    drain: () => {
      draining = true;
    },
  };
}
