// Forwards validated prediction requests to Azure Custom Vision. The server adds the Prediction-Key
// itself; nothing the client sent beyond the image (or URL) and the `application` parameter goes on, so
// no client credential (a device token in Prediction-Key included) is ever forwarded. Retries, the
// deadline, the circuit breaker and the relaying of answers are the forwarder's (forwarder.ts).
import type { CustomVisionConfig } from './custom-vision-config.ts';
import { Forwarder } from './forwarder.ts';
import { predictionPath } from '../../src/shared/custom-vision-path.ts';
import type {
  PredictionRequest,
  PredictionUpstream,
  ServedModel,
  UpstreamAnswer,
  UpstreamHealth,
} from './upstream.ts';

export class CustomVisionUpstream implements PredictionUpstream {
  readonly model: ServedModel;
  readonly acceptsUrls = true;
  private readonly forwarder: Forwarder;

  constructor(private readonly config: CustomVisionConfig) {
    this.forwarder = new Forwarder({
      endpoint: config.endpoint,
      keyHeader: 'prediction-key',
      key: config.predictionKey,
      serviceName: 'Custom Vision',
      timeoutMs: config.timeoutMs,
      retries: config.retries,
      breaker: config.breaker,
    });
    this.model = {
      source: 'custom-vision',
      projectId: config.projectId,
      publishedName: config.publishedName,
      type: config.projectType,
      name: `Custom Vision project ${config.projectId} (${config.publishedName})`,
    };
  }

  predict(request: PredictionRequest): Promise<UpstreamAnswer> {
    const path =
      predictionPath(request.route) +
      (request.application ? `?application=${encodeURIComponent(request.application)}` : '');
    return this.forwarder.forward({
      method: 'POST',
      path,
      body: request.image ? request.image.bytes : Buffer.from(JSON.stringify({ url: request.imageUrl })),
      contentType: request.image ? 'application/octet-stream' : 'application/json',
      admit: request.admit,
      client: request.client,
      trace: request.trace,
      // A prediction that stores nothing may be sent again after a reset connection.
      retryNetwork: !request.route.store,
    });
  }

  budget() {
    return this.config.budget;
  }

  health(): UpstreamHealth {
    return this.forwarder.health('Forwarding to Custom Vision');
  }

  close(): Promise<void> {
    return this.forwarder.close();
  }
}
