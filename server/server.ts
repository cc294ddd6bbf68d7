// Builds a server from a validated configuration (device tokens, Redis when configured, the upstream,
// the budget and the app: buildServer, which tests can call in-process), then listens (over TLS when configured) with limits against slow and greedy clients. For
// the local detector the model loads while /api/health already answers. close() shuts down gracefully:
// not ready, no new connections, requests in flight finish (up to SHUTDOWN_TIMEOUT_MS), then the rest.
// Used by index.ts and by the tests.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import { createApp, type App } from './app.ts';
import { ConfigError, type ServerConfig } from './env.ts';
import { guardConnections } from './http/connection-guard.ts';
import { explainListenError } from './http/listen-errors.ts';
import { serverOptions } from './http/server-limits.ts';
import { Budget } from './limits/budget.ts';
import { connectRedis } from './limits/redis.ts';
import type { Logger } from './observability/logger.ts';
import { AccessControl } from './security/access.ts';
import { AuthFailureLimiter } from './security/auth-failures.ts';
import { TokenStore } from './security/token-store.ts';
import { createTrainingBackend } from './upstreams/choose-training-backend.ts';
import { createUpstream } from './upstreams/choose-upstream.ts';
import { LocalUpstream } from './upstreams/local.ts';
import { LocalTrainingBackend } from './upstreams/local-training.ts';
import type { TrainingBackend } from './upstreams/training-backend.ts';
import type { PredictionUpstream } from './upstreams/upstream.ts';

export interface RunningServer extends BuiltServer {
  readonly server: http.Server;
  /** e.g. http://127.0.0.1:8080, or https://... with TLS */
  readonly url: string;
  /** Shuts down gracefully: not ready, no new connections, requests in flight finish, then the parts stop. */
  close(): Promise<void>;
}

export interface StartOptions {
  readonly staticDir: string;
  readonly log: Logger;
}

function readTls(config: ServerConfig): { cert: Buffer; key: Buffer } | undefined {
  const tls = config.security.tls;
  if (!tls) return undefined;
  const read = (name: string, file: string) => {
    try {
      return readFileSync(file);
    } catch (error) {
      throw new ConfigError(
        `${name} (${file}) cannot be read: ${(error as NodeJS.ErrnoException).code ?? 'error'}.`,
      );
    }
  };
  return { cert: read('TLS_CERT_FILE', tls.certFile), key: read('TLS_KEY_FILE', tls.keyFile) };
}

/** Everything a server is but its socket: what tests call in-process (app.request) and startServer listens with. */
export interface BuiltServer {
  readonly upstream: PredictionUpstream;
  readonly app: App;
  readonly budget: Budget;
  readonly training: TrainingBackend;
  /** The training calls' own budget, when training goes to a rate-limited service. */
  readonly trainingBudget: Budget | undefined;
  readonly tokens: TokenStore;
  /** Resolves once the upstream can answer predictions (the local model is loaded). */
  readonly ready: Promise<void>;
  /** What is served, from where, for people (the start-up log line). */
  readonly description: string;
  /** Stops what the parts hold (timers, the upstream's workers or connections, Redis). */
  close(): Promise<void>;
}

export async function buildServer(
  config: ServerConfig,
  { staticDir, log }: StartOptions,
): Promise<BuiltServer> {
  const tokens = new TokenStore(config.security, log);
  tokens.load();
  // The upstream first: the local detector's model loads in its workers while Redis is reached (which
  // may take up to two seconds when Redis is away) and the server starts listening.
  const { upstream, ready, budget: terms, description } = await createUpstream(config.upstream, log);
  let redis: Redis | undefined;
  if (config.redisUrl) redis = await connectRedis(config.redisUrl, log);
  const budget = new Budget({
    figures: () => upstream.budget(),
    ...(config.perClientTps !== undefined ? { perClientTps: config.perClientTps } : {}),
    ...(redis && terms.shared ? { redis } : {}),
    ...(terms.burst !== undefined ? { burst: terms.burst } : {}),
    scope: terms.scope,
    ...(terms.pendingMs !== undefined ? { pendingMs: terms.pendingMs } : {}),
    log,
  });
  const { backend: training, budget: trainingTerms } = createTrainingBackend(config.training);
  // The local detector and the local training store together close the loop without Azure: predictions
  // on the storing route are kept in the store (to list and promote by id), and quick tests run on the
  // detector.
  if (upstream instanceof LocalUpstream && training instanceof LocalTrainingBackend) {
    upstream.keepPredictionsIn(training);
    training.testWith(upstream);
  }
  const trainingFigures = training.budget();
  const trainingBudget =
    trainingTerms && trainingFigures
      ? new Budget({
          figures: () => trainingFigures,
          ...(redis && trainingTerms.shared ? { redis } : {}),
          scope: trainingTerms.scope,
          ...(trainingTerms.pendingMs !== undefined ? { pendingMs: trainingTerms.pendingMs } : {}),
          log,
        })
      : undefined;
  const app = createApp({
    upstream,
    training,
    trainingBudget,
    staticDir,
    log,
    access: new AccessControl(tokens, new AuthFailureLimiter(redis)),
    tokens,
    budget,
    allowedOrigins: config.security.allowedOrigins,
    trustProxy: config.security.trustProxy,
    bodyIdleMs: config.http.bodyIdleTimeoutMs,
  });

  return {
    upstream,
    app,
    budget,
    training,
    trainingBudget,
    tokens,
    ready,
    description,
    async close() {
      budget.close();
      trainingBudget?.close();
      tokens.close();
      await upstream.close();
      await training.close();
      redis?.disconnect();
    },
  };
}

export async function startServer(config: ServerConfig, options: StartOptions): Promise<RunningServer> {
  const tls = readTls(config);
  const built = await buildServer(config, options);
  const { app, tokens } = built;
  const limits = serverOptions(config.http);
  const server: http.Server = tls
    ? https.createServer(
        { ...limits, ...tls, handshakeTimeout: config.http.firstRequestTimeoutMs },
        app.handle,
      )
    : http.createServer(limits, app.handle);
  server.maxConnections = config.http.maxConnections;
  guardConnections(server, tls !== undefined, {
    perClient: config.http.maxConnectionsPerClient,
    firstRequestMs: config.http.firstRequestTimeoutMs,
    behindProxy: config.security.trustProxy > 0,
    onDrop: (reason) => app.metrics.rejected(reason),
  });
  await new Promise<void>((resolve, reject) => {
    const refused = (error: Error) => reject(explainListenError(error, config.host, config.port));
    server.once('error', refused);
    server.listen(config.port, config.host, () => {
      server.off('error', refused);
      resolve();
    });
  }).catch(async (error: unknown) => {
    await built.close();
    throw error;
  });
  tokens.watch();
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    ...built,
    server,
    url: `${tls ? 'https' : 'http'}://${host}:${address.port}`,
    async close() {
      const { log } = options;
      app.drain();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const deadline = performance.now() + config.http.shutdownTimeoutMs;
      // Polling a counter, not synchronising a test: requests in flight finish at their own pace.
      while (app.inFlight() > 0 && performance.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 25));
        server.closeIdleConnections();
      }
      if (app.inFlight() > 0)
        log.warn({ inFlight: app.inFlight() }, 'shutdown timeout: cutting requests still in flight');
      server.closeAllConnections();
      await closed;
      await built.close();
    },
  };
}
