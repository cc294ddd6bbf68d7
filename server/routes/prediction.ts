// POST /customvision/{v3.0|v3.1}/prediction/{projectId}/{detect|classify}/iterations/{publishedName}/{image|url}[/nostore]
// Validates everything it can before the upstream or the model sees anything, then relays the answer.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CvError, CvErrorCode } from '../http/cv-error.ts';
import { readRequestImage } from '../http/read-image.ts';
import type { PredictionRequest, PredictionUpstream } from '../upstreams/upstream.ts';
import { parsePredictionPath, type PredictionRoute } from './prediction-route.ts';

const MAX_URL_BODY = 16 * 1024;

export async function handlePrediction(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  upstream: PredictionUpstream,
  signal: AbortSignal,
): Promise<void> {
  const route = parsePredictionPath(url.pathname);
  if (!route) {
    throw new CvError(
      404,
      CvErrorCode.NotFound,
      'No such prediction route. Use POST /customvision/v3.1/prediction/{projectId}/{detect|classify}/iterations/{publishedName}/image[/nostore].',
    );
  }
  if (req.method !== 'POST') {
    throw new CvError(
      405,
      CvErrorCode.BadRequestNotSupported,
      `Prediction routes take POST, not ${req.method}.`,
      { Allow: 'POST' },
    );
  }
  checkServed(route, upstream);

  const application = url.searchParams.get('application') ?? undefined;
  const request: PredictionRequest =
    route.input === 'image'
      ? { route, image: await readRequestImage(req), application, signal }
      : { route, imageUrl: await readImageUrl(req, upstream), application, signal };
  const answer = await upstream.predict(request);
  res.writeHead(answer.status, {
    ...answer.headers,
    'Content-Length': answer.body.length,
    'Cache-Control': 'no-store',
  });
  res.end(answer.body);
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

async function readImageUrl(req: IncomingMessage, upstream: PredictionUpstream): Promise<string> {
  if (!upstream.acceptsUrls) {
    throw new CvError(
      400,
      CvErrorCode.BadRequestNotSupported,
      'The local detector does not fetch images by URL; POST the image bytes to the /image route instead.',
    );
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_URL_BODY)
      throw new CvError(400, CvErrorCode.BadRequestImageUrl, 'The body is too large for {"url": "..."}.');
    chunks.push(chunk);
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
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
