// GET /api/model-package[?projectId=...&publishedName=...]: a served model's export zip (the first model's
// when none is named), for devices that run it themselves (and keep it for offline use). Revalidated by its
// SHA-1 (ETag), so a device downloads a model once per change.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CvError, CvErrorCode } from '../http/cv-error.ts';
import { hasModelPackage } from '../upstreams/export.ts';
import { LOCAL_ITERATION_ID, LocalUpstream } from '../upstreams/local.ts';
import { centerNetPackage } from '../model-export/centernet-package.ts';
import { stableUuid } from '../detector/stable-uuid.ts';
import { COCO_LABELS } from '../detector/coco-labels.ts';
import { createHash } from 'node:crypto';
import type { PredictionUpstream } from '../upstreams/upstream.ts';
import { findServedModel } from './served-model.ts';

function refuse(): never {
  throw new CvError(
    404,
    CvErrorCode.NotFound,
    'The cloud model cannot run on a device: start the server with CUSTOM_VISION_EXPORT set to a Custom Vision export (ONNX or TensorFlowJs), or use the cloud mode.',
  );
}

let embedded: Promise<{ bytes: Buffer; sha1: string }> | undefined;

/** The embedded detector, packaged once, with the ids and default limits the server answers with. */
function embeddedPackage(upstream: LocalUpstream): Promise<{ bytes: Buffer; sha1: string }> {
  embedded ??= centerNetPackage({
    projectId: upstream.model.projectId,
    iterationId: LOCAL_ITERATION_ID,
    publishedName: upstream.model.publishedName,
    tagIds: COCO_LABELS.map((label) => stableUuid(`tag:${label}`)),
    minProbability: 0.15,
    maxDetections: 20,
    iouThreshold: 0.5,
  }).then((bytes) => ({ bytes, sha1: createHash('sha1').update(bytes).digest('hex') }));
  return embedded;
}

/** The model the query names (an unknown one refused as the prediction routes refuse it), else the first. */
function wantedModel(upstream: PredictionUpstream, url: URL) {
  const projectId = url.searchParams.get('projectId');
  const publishedName = url.searchParams.get('publishedName') ?? undefined;
  if (projectId === null) {
    if (publishedName === undefined) return upstream.model;
    throw new CvError(400, CvErrorCode.BadRequest, 'publishedName needs the projectId it belongs to.');
  }
  return findServedModel(upstream, projectId, publishedName);
}

export async function sendModelPackage(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  upstream: PredictionUpstream,
): Promise<void> {
  const model = wantedModel(upstream, url);
  const { bytes, sha1 } = hasModelPackage(upstream)
    ? await upstream.modelPackage(model)
    : upstream instanceof LocalUpstream
      ? await embeddedPackage(upstream)
      : refuse();
  const etag = `"${sha1}"`;
  const headers = {
    ETag: etag,
    // Kept by the device, but asked again each time: a newly published model replaces it at once.
    'Cache-Control': 'no-cache',
  };
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  res.writeHead(200, { ...headers, 'Content-Type': 'application/zip', 'Content-Length': bytes.length });
  res.end(req.method === 'HEAD' ? undefined : bytes);
}
