// POST /customvision/{v3.0|v3.1}/prediction/{projectId}/{detect|classify}/iterations/{publishedName}/{image|url}[/nostore]
// Validates everything it can before the upstream or the model sees anything, then relays the answer.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ClientPresence } from '../http/client-presence.ts';
import { CvError, CvErrorCode } from '../http/cv-error.ts';
import { readBody } from '../http/read-body.ts';
import { MAX_IMAGE_BYTES, readRequestImage } from '../http/read-image.ts';
import type { Budget } from '../limits/budget.ts';
import { sleep } from '../resilience/retry.ts';
import type { Caller } from '../security/access.ts';
import type { PredictionRequest, PredictionUpstream, UpstreamTrace } from '../upstreams/upstream.ts';
import { parsePredictionPath, type PredictionRoute } from '../../src/shared/custom-vision-path.ts';

const MAX_URL_BODY = 16 * 1024;

export interface PredictionContext {
  readonly upstream: PredictionUpstream;
  readonly budget: Budget;
  readonly caller: Caller;
  /** Whether the client is still there for the answer. */
  readonly client: ClientPresence;
  /** Filled in by the upstream; the app logs it and counts it. */
  readonly trace: UpstreamTrace;
  readonly bodyIdleMs: number;
}

export async function handlePrediction(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  context: PredictionContext,
): Promise<void> {
  const { upstream, client, trace, bodyIdleMs } = context;
  const route = parsePredictionPath(url.pathname);
  if (!route) {
    throw new CvError(
      404,
      CvErrorCode.NotFound,
      'No such prediction route. Use POST /customvision/v3.1/prediction/{projectId}/{detect|classify}/iterations/{publishedName}/image[/nostore].',
    );
  }
  checkServed(route, upstream);

  const application = url.searchParams.get('application') ?? undefined;
  const admit = () => admitOne(context, route);
  const common = { route, application, client, admit, trace };
  const request: PredictionRequest =
    route.input === 'image'
      ? { ...common, image: await readRequestImage(req, MAX_IMAGE_BYTES, bodyIdleMs) }
      : { ...common, imageUrl: await readImageUrl(req, upstream, bodyIdleMs) };
  const answer = await upstream.predict(request);
  res.writeHead(answer.status, {
    ...answer.headers,
    'Content-Length': answer.body.length,
    'Cache-Control': 'no-store',
  });
  res.end(answer.body);
}

/**
 * A spent budget that has room again within this long is waited for rather than refused. A camera loop
 * paced to the budget sends some frames a few milliseconds early (timers, a late frame made up for);
 * refused, each would cost the client a whole Retry-After second, while waiting costs that frame a few
 * milliseconds. The upstream still never gets more than the budget.
 */
export const ADMISSION_WAIT_MS = 150;

/** One upstream call for this caller, or a 429 in Custom Vision's shape saying when to come back. */
async function admitOne(context: PredictionContext, route: PredictionRoute) {
  const { budget, caller, client, trace, upstream } = context;
  // A client that has already gone takes no place in the budget.
  if (client.gone) throw new Error('the client closed the connection');
  const waitUntil = performance.now() + ADMISSION_WAIT_MS;
  let admission = await budget.admit(caller.id, route.store);
  // Real time, not the sum of the waits asked for: a store round trip or a busy event loop counts too.
  while (!admission.ok && performance.now() + admission.retryAfterMs <= waitUntil) {
    // One millisecond more than the store asked: its window must have moved past the oldest entry.
    await sleep(admission.retryAfterMs + 1, client.signal);
    admission = await budget.admit(caller.id, route.store);
  }
  if (admission.ok) return admission;
  trace.refused = admission.reason;
  const seconds = Math.max(1, Math.ceil(admission.retryAfterMs / 1000));
  const { nostorePerSecond, storePerSecond, basis } = upstream.budget();
  const perSecond = route.store ? storePerSecond : nostorePerSecond;
  const why =
    admission.reason === 'client'
      ? `This client has used its share of the prediction budget (${admission.share} per second while ${admission.active} clients share it).`
      : `This server's prediction budget (${perSecond}/s, ${basis}) is spent for now.`;
  throw new CvError(
    429,
    CvErrorCode.TooManyRequests,
    `${why} Please retry after ${seconds} second${seconds === 1 ? '' : 's'}.`,
    { 'Retry-After': String(seconds) },
  );
}

/** Only the configured project and published name are served; anything else is refused as the cloud would. */
function checkServed(route: PredictionRoute, upstream: PredictionUpstream): void {
  const model = upstream.model;
  if (route.projectId !== model.projectId.toLowerCase()) {
    throw new CvError(
      404,
      CvErrorCode.NotFoundProject,
      `Project ${route.projectId} is not served here; this server serves project ${model.projectId} (see /api/config).`,
    );
  }
  if (route.publishedName !== model.publishedName) {
    // The cloud answers an unknown published name with NotFoundIteration, "Invalid iteration".
    throw new CvError(
      404,
      CvErrorCode.NotFoundIteration,
      `Invalid iteration: no iteration is published as "${route.publishedName}" for this project (see /api/config).`,
    );
  }
  if (route.projectType !== model.type) {
    const other = model.type === 'detect' ? 'an object detection' : 'a classification';
    throw new CvError(
      400,
      CvErrorCode.BadRequestNotSupported,
      `Project ${model.projectId} is ${other} project: use /${model.type}/ in the path, not /${route.projectType}/.`,
    );
  }
}

async function readImageUrl(
  req: IncomingMessage,
  upstream: PredictionUpstream,
  idleMs: number,
): Promise<string> {
  if (!upstream.acceptsUrls) {
    throw new CvError(
      400,
      CvErrorCode.BadRequestNotSupported,
      'The local detector does not fetch images by URL; POST the image bytes to the /image route instead.',
    );
  }
  const raw = await readBody(req, {
    limit: MAX_URL_BODY,
    idleMs,
    tooLarge: () =>
      new CvError(400, CvErrorCode.BadRequestImageUrl, 'The body is too large for {"url": "..."}.'),
  });
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new CvError(400, CvErrorCode.BadRequestImageUrl, 'The body must be JSON: {"url": "https://..."}.');
  }
  const value =
    (body as { url?: unknown; Url?: unknown } | null)?.url ?? (body as { Url?: unknown } | null)?.Url;
  if (typeof value !== 'string' || !/^https?:\/\/\S+$/i.test(value) || !URL.canParse(value)) {
    throw new CvError(
      400,
      CvErrorCode.BadRequestImageUrl,
      'The body must hold an http(s) image address: {"url": "https://..."}.',
    );
  }
  return value;
}
