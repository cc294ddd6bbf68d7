// GET /api/model-package: the served model's export zip, for devices that run it themselves (and keep it
// for offline use). Revalidated by its SHA-1 (ETag), so a device downloads a model once per change.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CvError, CvErrorCode } from '../http/cv-error.ts';
import { hasModelPackage } from '../upstreams/export.ts';
import type { PredictionUpstream } from '../upstreams/upstream.ts';

export async function sendModelPackage(
  req: IncomingMessage,
  res: ServerResponse,
  upstream: PredictionUpstream,
): Promise<void> {
  if (!hasModelPackage(upstream)) {
    throw new CvError(
      404,
      CvErrorCode.NotFound,
      'This server serves no exported model to run on a device: start it with CUSTOM_VISION_EXPORT set to a Custom Vision export (ONNX or TensorFlowJs), or use the cloud mode.',
    );
  }
  const { bytes, sha1 } = await upstream.modelPackage();
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
