// Builds the request handler: API info routes, Custom Vision prediction routes, and the built app.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CvError, CvErrorCode, sendCvError, sendJson } from './http/cv-error.ts';
import type { Logger } from './log.ts';
import { sendConfig, sendHealth } from './routes/info.ts';
import { handlePrediction } from './routes/prediction.ts';
import { PREDICTION_PREFIX } from './routes/prediction-route.ts';
import { serveStatic } from './routes/static.ts';
import type { PredictionUpstream } from './upstreams/upstream.ts';

export interface AppOptions {
  readonly upstream: PredictionUpstream;
  /** The built front end (dist/). */
  readonly staticDir: string;
  readonly log: Logger;
}

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Permissions-Policy': 'camera=(self), microphone=(), geolocation=()',
} as const;

export function createApp({ upstream, staticDir, log }: AppOptions): RequestHandler {
  const startedAt = performance.now();

  async function route(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    signal: AbortSignal,
  ): Promise<void> {
    const path = url.pathname;
    if (path.toLowerCase().startsWith(PREDICTION_PREFIX)) {
      await handlePrediction(req, res, url, upstream, signal);
      return;
    }
    if (path === '/api/health' || path === '/api/config') {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        throw new CvError(405, CvErrorCode.BadRequestNotSupported, `${path} takes GET, not ${req.method}.`, {
          Allow: 'GET, HEAD',
        });
      }
      if (path === '/api/health') sendHealth(res, upstream, startedAt);
      else sendConfig(res, upstream);
      return;
    }
    if (path.startsWith('/api/')) {
      throw new CvError(
        404,
        CvErrorCode.NotFound,
        `No API route ${path}. The API has /api/health and /api/config.`,
      );
    }
    await serveStatic(req, res, url, staticDir);
  }

  return (req, res) => {
    const started = performance.now();
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    // Aborted when the client disconnects before the answer is complete, so upstream work stops too.
    const controller = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) controller.abort(new Error('the client closed the connection'));
    });
    const url = new URL(req.url ?? '/', 'http://server.invalid');

    route(req, res, url, controller.signal)
      .catch((error: unknown) => {
        if (controller.signal.aborted) return;
        const known = error instanceof CvError;
        if (!known)
          log.error('request failed', {
            method: req.method,
            path: url.pathname,
            error: (error as Error).stack ?? String(error),
          });
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
        // After a refused body the rest of it may still be arriving: close rather than read it all.
        if (!req.complete) res.setHeader('Connection', 'close');
        sendCvError(res, cvError);
      })
      .finally(() => {
        log.debug('request', {
          method: req.method,
          path: url.pathname,
          status: res.statusCode,
          ms: Math.round((performance.now() - started) * 10) / 10,
        });
      });
  };
}

export { sendJson };
