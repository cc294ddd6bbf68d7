// Forwards validated prediction requests to Azure Custom Vision. The server adds the Prediction-Key
// itself; nothing the client sent beyond the image (or URL) and the `application` parameter goes on, so
// no client credential is ever forwarded. Upstream answers, errors and Retry-After reach the client
// intact; an unreachable or slow upstream gets a Custom Vision-shaped 502/504 saying what happened.
import http from 'node:http';
import https from 'node:https';
import type { CustomVisionConfig } from '../env.ts';
import { CvError, CvErrorCode } from '../http/cv-error.ts';
import { predictionPath } from '../routes/prediction-route.ts';
import type {
  PredictionRequest,
  PredictionUpstream,
  ServedModel,
  UpstreamAnswer,
  UpstreamHealth,
} from './upstream.ts';

/** Response headers worth relaying: the body's type, throttling advice and Azure's request id for support. */
const RELAYED_HEADERS = ['content-type', 'retry-after', 'apim-request-id', 'x-ms-request-id'] as const;
const MAX_UPSTREAM_BODY = 8 * 1024 * 1024;

export class CustomVisionUpstream implements PredictionUpstream {
  readonly model: ServedModel;
  readonly acceptsUrls = true;
  private readonly agent: http.Agent;
  private readonly client: typeof http | typeof https;
  private readonly host: string;
  private last: { at: string; outcome: string } | undefined;

  constructor(private readonly config: CustomVisionConfig) {
    const url = new URL(config.endpoint);
    this.host = url.host;
    this.client = url.protocol === 'https:' ? https : http;
    // Keep-alive: a camera loop sends several requests a second; a new TLS handshake each time would
    // cost more than the prediction.
    this.agent = new this.client.Agent({
      keepAlive: true,
      maxSockets: 64,
      maxFreeSockets: 16,
      timeout: 60_000,
    });
    this.model = {
      source: 'custom-vision',
      projectId: config.projectId,
      publishedName: config.publishedName,
      type: config.projectType,
      name: `Custom Vision project ${config.projectId} (${config.publishedName})`,
    };
  }

  async predict(request: PredictionRequest): Promise<UpstreamAnswer> {
    const path =
      predictionPath(request.route) +
      (request.application ? `?application=${encodeURIComponent(request.application)}` : '');
    const body = request.image ? request.image.bytes : Buffer.from(JSON.stringify({ url: request.imageUrl }));
    // One controller for both reasons to stop: the client left, or Azure took too long. (Plain timers
    // rather than AbortSignal.any/timeout, which cost more per request and have leaked on Node 20.)
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.config.timeoutMs);
    const onClientGone = () => controller.abort();
    request.signal.addEventListener('abort', onClientGone, { once: true });
    try {
      const answer = await this.send(
        path,
        body,
        request.image ? 'application/octet-stream' : 'application/json',
        controller.signal,
      );
      this.last = { at: new Date().toISOString(), outcome: `HTTP ${answer.status}` };
      return answer;
    } catch (error) {
      if (request.signal.aborted) throw error; // the client left; nobody to answer
      const reason = timedOut
        ? `Custom Vision at ${this.host} did not answer within ${this.config.timeoutMs} ms (CUSTOM_VISION_TIMEOUT_MS).`
        : `Could not reach Custom Vision at ${this.host}: ${describeNetworkError(error)}.`;
      this.last = { at: new Date().toISOString(), outcome: reason };
      throw new CvError(timedOut ? 504 : 502, CvErrorCode.ErrorPredictionServiceUnavailable, reason);
    } finally {
      clearTimeout(timer);
      request.signal.removeEventListener('abort', onClientGone);
    }
  }

  private send(
    path: string,
    body: Buffer,
    contentType: string,
    signal: AbortSignal,
  ): Promise<UpstreamAnswer> {
    return new Promise((resolve, reject) => {
      const req = this.client.request(
        `${this.config.endpoint}${path}`,
        {
          method: 'POST',
          agent: this.agent,
          signal,
          headers: {
            'Prediction-Key': this.config.predictionKey,
            'Content-Type': contentType,
            'Content-Length': body.length,
            Accept: 'application/json',
            'User-Agent': 'sightline-server',
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_UPSTREAM_BODY) res.destroy(new Error('the upstream answer is implausibly large'));
            else chunks.push(chunk);
          });
          res.on('error', reject);
          res.on('end', () => {
            const headers: Record<string, string> = {};
            for (const name of RELAYED_HEADERS) {
              const value = res.headers[name];
              if (typeof value === 'string') headers[name] = value;
            }
            resolve({ status: res.statusCode ?? 502, headers, body: Buffer.concat(chunks, size) });
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  budget() {
    return this.config.budget;
  }

  health(): UpstreamHealth {
    return {
      ready: true,
      detail:
        `Forwarding to Custom Vision at ${this.host}` +
        (this.last ? `; last answer: ${this.last.outcome}` : '; no request yet.'),
      endpointHost: this.host,
      lastUpstream: this.last,
    };
  }

  close(): Promise<void> {
    this.agent.destroy();
    return Promise.resolve();
  }
}

function describeNetworkError(error: unknown): string {
  const err = error as NodeJS.ErrnoException;
  return err.code
    ? `${err.code}${err.message && !err.message.includes(err.code) ? ` (${err.message})` : ''}`
    : err.message;
}
