// What answers Custom Vision's training routes: the routes read and check a request against the
// operations table (src/shared/custom-vision-training.ts), then hand it to a backend. Forwarding to the
// cloud (custom-vision-training.ts) is one; a local training store can be another, answering the same
// requests in the same shapes. Which one serves is chosen in one place (choose-training-backend.ts).
import type { ClientPresence } from '../http/client-presence.ts';
import { CvError, CvErrorCode } from '../http/cv-error.ts';
import type { NamedRequestImage, RequestImage } from '../http/read-image.ts';
import type { PredictionBudget } from '../limits/windows.ts';
import type { UpstreamAnswer, UpstreamHealth, UpstreamTrace } from './upstream.ts';
import type { TrainingOperation, TrainingVersion } from '../../src/shared/custom-vision-training.ts';

/** A request's body, read and checked by the route. */
export type TrainingBody =
  | { readonly kind: 'none' }
  /** createImagesFromData: 1 to 64 images, each within the training size limit. */
  | { readonly kind: 'images'; readonly images: readonly NamedRequestImage[] }
  /** quickTestImage */
  | { readonly kind: 'image'; readonly image: RequestImage }
  /** Parsed JSON, its batch sizes, ids and regions checked. */
  | { readonly kind: 'json'; readonly value: unknown };

export interface TrainingRequest {
  readonly version: TrainingVersion;
  readonly operation: TrainingOperation;
  /** The path's parameters (projectId, iterationId, domainId), GUIDs lower-cased. */
  readonly params: Readonly<Record<string, string>>;
  /** The operation's query parameters as the client gave them, in order; any other was dropped. */
  readonly query: readonly (readonly [string, string])[];
  readonly body: TrainingBody;
  /** Whether the client is still there for the answer. */
  readonly client: ClientPresence;
  /**
   * Reserves one call in the training budget (TrainProject's narrower rate for trainProject), as for
   * predictions: call sent() once the call has gone out. Throws a 429 CvError when it is spent.
   */
  readonly admit: () => Promise<{ sent(): void }>;
  readonly trace: UpstreamTrace;
}

export interface TrainingBackend {
  readonly source: 'custom-vision' | 'local' | 'none';
  /** The one project offered (the default one, with severalProjects); undefined when training is not available at all. */
  readonly projectId: string | undefined;
  /** Set when the backend holds several projects and answers NotFoundProject itself. */
  readonly severalProjects?: boolean;
  /** The answer to relay: Custom Vision's status, headers and body (207 partial results included). */
  handle(request: TrainingRequest): Promise<UpstreamAnswer>;
  /** The rates the training budget keeps to, when calls go to a rate-limited service. */
  budget(): PredictionBudget | undefined;
  health(): UpstreamHealth;
  close(): Promise<void>;
}

/** Training is not configured: every training route says what it needs. */
export class NoTrainingBackend implements TrainingBackend {
  readonly source = 'none';
  readonly projectId = undefined;

  handle(): Promise<UpstreamAnswer> {
    return Promise.reject(trainingUnavailable());
  }

  budget(): undefined {
    return undefined;
  }

  health(): UpstreamHealth {
    return { ready: true, detail: 'Training is not configured (CUSTOM_VISION_TRAINING_ENDPOINT).' };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

export const trainingUnavailable = () =>
  new CvError(
    400,
    CvErrorCode.BadRequestNotSupported,
    'Training is not available on this server: it needs CUSTOM_VISION_TRAINING_ENDPOINT and ' +
      "CUSTOM_VISION_TRAINING_KEY (the Custom Vision training resource's endpoint and key) and " +
      'CUSTOM_VISION_PROJECT_ID.',
  );
