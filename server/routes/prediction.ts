// POST /customvision/{v3.0|v3.1}/prediction/{projectId}/{detect|classify}/iterations/{publishedName}/{image|url}[/nostore]
// Validates everything it can before the upstream or the model sees anything, then relays the answer.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ClientPresence } from '../http/client-presence.ts';
import { CvError, CvErrorCode } from '../http/cv-error.ts';
import { readBody } from '../http/read-body.ts';
import { MAX_IMAGE_BYTES, readRequestImage } from '../http/read-image.ts';
import type { Budget } from '../limits/budget.ts';
import type { Caller } from '../security/access.ts';
import { admitOrRefuse } from './admission.ts';
import { findServedModel, servesProject } from './served-model.ts';
import type {
  PredictionRequest,
  PredictionUpstream,
  PublishedModels,
  UpstreamAnswer,
  UpstreamTrace,
} from '../upstreams/upstream.ts';
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
  /** Classifiers trained and published in the local training store, served beside the upstream's model. */
  readonly published?: PublishedModels;
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
  const published = context.published;
  if (!servesProject(upstream, route.projectId) && published?.serves(route.projectId)) {
    await answerPublished(req, res, route, { ...context, published });
    return;
  }
  checkServed(route, upstream);

  const application = url.searchParams.get('application') ?? undefined;
  const admit = () => admitOne(context, route);
  const common = { route, application, client, admit, trace };
  const request: PredictionRequest =
    route.input === 'image'
      ? { ...common, image: await readRequestImage(req, MAX_IMAGE_BYTES, bodyIdleMs) }
      : { ...common, imageUrl: await readImageUrl(req, upstream, bodyIdleMs) };
  send(res, await upstream.predict(request));
}

/** A prediction of a classifier published in the local training store: image bytes only. */
async function answerPublished(
  req: IncomingMessage,
  res: ServerResponse,
  route: PredictionRoute,
  context: PredictionContext & { published: PublishedModels },
): Promise<void> {
  context.published.check(route);
  if (route.input !== 'image') {
    throw new CvError(
      400,
      CvErrorCode.BadRequestNotSupported,
      'Classifiers trained in the local training store do not fetch images by URL; POST the image bytes to the /image route instead.',
    );
  }
  const image = await readRequestImage(req, MAX_IMAGE_BYTES, context.bodyIdleMs);
  (await admitOne(context, route)).sent();
  const answer = await context.published.predict(route, image.bytes, context.client.signal);
  context.trace.outcomes.push(String(answer.status));
  send(res, answer);
}

function send(res: ServerResponse, answer: UpstreamAnswer): void {
  res.writeHead(answer.status, {
    ...answer.headers,
    'Content-Length': answer.body.length,
    'Cache-Control': 'no-store',
  });
  res.end(answer.body);
}

/** One upstream call for this caller, or a 429 in Custom Vision's shape saying when to come back. */
function admitOne(context: PredictionContext, route: PredictionRoute) {
  const { budget, caller, client, trace, upstream } = context;
  return admitOrRefuse(budget, { clientId: caller.id, store: route.store, client, trace }, (admission) => {
    const { nostorePerSecond, storePerSecond, basis } = upstream.budget();
    const perSecond = route.store ? storePerSecond : nostorePerSecond;
    return admission.reason === 'client'
      ? `This client has used its share of the prediction budget (${admission.share} per second while ${admission.active} clients share it).`
      : `This server's prediction budget (${perSecond}/s, ${basis}) is spent for now.`;
  });
}

/** Only the served projects and published names are answered; anything else is refused as the cloud would. */
function checkServed(route: PredictionRoute, upstream: PredictionUpstream): void {
  const model = findServedModel(upstream, route.projectId, route.publishedName);
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
