// What answers prediction requests: the Custom Vision cloud (forwarded) or the embedded local detector.
// The routes validate the request first, so an upstream only ever sees a well-formed image or URL.
import type { ClientPresence } from '../http/client-presence.ts';
import type { RequestImage } from '../http/read-image.ts';
import type { PredictionProjectType, PredictionRoute } from '../../src/shared/custom-vision-path.ts';
import type { PredictionBudget } from '../limits/windows.ts';

export type ModelSource = 'local' | 'custom-vision';

/** A model this server serves, as reported by /api/config. */
export interface ServedModel {
  readonly source: ModelSource;
  readonly projectId: string;
  readonly publishedName: string;
  readonly type: PredictionProjectType;
  readonly name: string;
  /** The labels the model can return, when known without asking the cloud. */
  readonly tags?: readonly string[];
}

export interface PredictionRequest {
  readonly route: PredictionRoute;
  /** Set for /image routes. */
  readonly image?: RequestImage;
  /** Set for /url routes. */
  readonly imageUrl?: string;
  /** Custom Vision's optional `application` query parameter, passed on as given. */
  readonly application?: string;
  /** Whether the client is still there for the answer, so no work is done for nobody. */
  readonly client: ClientPresence;
  /**
   * Reserves one upstream call in the server's budget; the upstream calls it before each call it makes
   * (retries included), and calls sent() on the result once the call's request has gone out (the budget
   * times it from then). Throws a 429 CvError with Retry-After when the budget or the caller's share is
   * spent, so nothing is sent.
   */
  readonly admit: () => Promise<{ sent(): void }>;
  /** What happened upstream, filled in by the upstream for the request's log line and metrics. */
  readonly trace: UpstreamTrace;
}

export interface UpstreamTrace {
  /** One entry per upstream call: an HTTP status ("200", "429"), or "timeout", "network", "invalid-json". */
  readonly outcomes: string[];
  /** Set when the upstream was not asked at all: "circuit-open", "budget", "queue-full". */
  refused?: string;
}

/** An HTTP answer to relay to the client as it is. */
export interface UpstreamAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

export interface UpstreamHealth {
  readonly ready: boolean;
  /** One sentence for people: what is upstream and how it is doing. */
  readonly detail: string;
  readonly [key: string]: unknown;
}

export interface PredictionUpstream {
  /** The first model served: the one clients that know of one model use. */
  readonly model: ServedModel;
  /** Every model served, `model` first, when there are several (a folder of exports). */
  readonly models?: readonly ServedModel[];
  /** Whether this upstream can fetch images by URL (the cloud can; the local detector will not). */
  readonly acceptsUrls: boolean;
  predict(request: PredictionRequest): Promise<UpstreamAnswer>;
  budget(): PredictionBudget;
  health(): UpstreamHealth;
  close(): Promise<void>;
}

/** Every model an upstream serves, its first model first. */
export const servedModels = (upstream: PredictionUpstream): readonly ServedModel[] =>
  upstream.models ?? [upstream.model];

/**
 * Models published by the local training store, answered beside the configured upstream's one model: a
 * prediction for another project goes to them when they hold it.
 */
export interface PublishedModels {
  /** Whether this project is one of theirs (its published names are then theirs to check). */
  serves(projectId: string): boolean;
  /** Refuses, as Custom Vision would, a published name or project type the project does not have. */
  check(route: PredictionRoute): void;
  /** Answers the route's project and published name for these image bytes, in ImagePrediction's shape. */
  predict(route: PredictionRoute, bytes: Buffer, signal: AbortSignal): Promise<UpstreamAnswer>;
}

export const hasPublishedModels = (value: object): value is PublishedModels =>
  typeof (value as Partial<PublishedModels>).serves === 'function' &&
  typeof (value as Partial<PublishedModels>).check === 'function' &&
  typeof (value as Partial<PublishedModels>).predict === 'function';
