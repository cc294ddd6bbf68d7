// Forwards checked training requests to Custom Vision's training service, with the server's own
// Training-Key (no credential the client sent goes on). Only the operation's path, its known query
// parameters and the checked body are sent: images go as a fresh multipart body built here, JSON as it
// was parsed. Publishing always names the configured prediction resource, so a client cannot publish the
// project's model to another resource. Answers are relayed as Custom Vision gives them, 207 included.
import { randomBytes } from 'node:crypto';
import { CvError, CvErrorCode } from '../http/cv-error.ts';
import type { CustomVisionTrainingConfig } from './custom-vision-training-config.ts';
import { Forwarder } from './forwarder.ts';
import type { TrainingBackend, TrainingBody, TrainingRequest } from './training-backend.ts';
import type { UpstreamAnswer, UpstreamHealth } from './upstream.ts';
import { trainingPath } from '../../src/shared/custom-vision-training.ts';

/** Images in a batch each travel as one multipart part named as the official SDK names its one. */
function multipart(images: Extract<TrainingBody, { kind: 'images' }>['images']) {
  const boundary = `sightline-${randomBytes(12).toString('hex')}`;
  const parts: Buffer[] = [];
  images.forEach((image, index) => {
    // The name comes back in Custom Vision's per-image report (sourceUrl): keep it, without anything
    // that could break the part's header.
    // eslint-disable-next-line no-control-regex -- control characters are what is dropped here
    const name = (image.name ?? `image-${index + 1}.${image.format}`).replace(/["\\\u0000-\u001f]/g, '_');
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="imageData"; filename="${name}"\r\n` +
          `Content-Type: application/octet-stream\r\n\r\n`,
      ),
      image.bytes,
      Buffer.from('\r\n'),
    );
  });
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

function encodeBody(body: TrainingBody): { body?: Buffer; contentType?: string } {
  switch (body.kind) {
    case 'none':
      return {};
    case 'images':
      return multipart(body.images);
    case 'image':
      return { body: body.image.bytes, contentType: 'application/octet-stream' };
    case 'json':
      return { body: Buffer.from(JSON.stringify(body.value)), contentType: 'application/json' };
  }
}

export class CustomVisionTrainingBackend implements TrainingBackend {
  readonly source = 'custom-vision';
  readonly projectId: string;
  private readonly forwarder: Forwarder;

  constructor(private readonly config: CustomVisionTrainingConfig) {
    this.projectId = config.projectId;
    this.forwarder = new Forwarder({
      endpoint: config.endpoint,
      keyHeader: 'training-key',
      key: config.trainingKey,
      serviceName: 'Custom Vision training',
      timeoutMs: config.timeoutMs,
      retries: config.retries,
      breaker: config.breaker,
    });
  }

  handle(request: TrainingRequest): Promise<UpstreamAnswer> {
    const { operation } = request;
    const given = request.query.map(([name, value]): [string, string] => [name, value]);
    const query = new URLSearchParams(
      operation.name === 'publishIteration' ? this.publishQuery(given) : given,
    ).toString();
    return this.forwarder.forward({
      method: operation.method,
      path: trainingPath(request.version, operation, request.params) + (query ? `?${query}` : ''),
      ...encodeBody(request.body),
      admit: request.admit,
      client: request.client,
      trace: request.trace,
      // Only a read may be sent again after a reset connection: a write may have been done already.
      retryNetwork: operation.method === 'GET',
      accepts: 'any-json-or-empty',
    });
  }

  /**
   * Publishing names the prediction resource the iteration goes to: always the configured one. A client
   * that names another resource is refused; one that names none, or any placeholder, gets this one.
   */
  private publishQuery(query: [string, string][]): [string, string][] {
    const target = this.config.predictionResourceId;
    if (target === undefined) {
      throw new CvError(
        400,
        CvErrorCode.BadRequestInvalidPublishTarget,
        'Publishing needs CUSTOM_VISION_PREDICTION_RESOURCE_ID: the ARM id of the prediction resource to publish to.',
      );
    }
    const given = query.find(([name]) => name === 'predictionId')?.[1];
    if (given && given.startsWith('/subscriptions/') && given.toLowerCase() !== target.toLowerCase()) {
      throw new CvError(
        400,
        CvErrorCode.BadRequestInvalidPublishTarget,
        'This server publishes only to its own prediction resource (CUSTOM_VISION_PREDICTION_RESOURCE_ID); leave predictionId out or pass "default".',
      );
    }
    return [...query.filter(([name]) => name !== 'predictionId'), ['predictionId', target]];
  }

  budget() {
    return this.config.budget;
  }

  health(): UpstreamHealth {
    return this.forwarder.health('Forwarding training to Custom Vision');
  }

  close(): Promise<void> {
    return this.forwarder.close();
  }
}
