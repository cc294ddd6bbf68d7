// A team's own Custom Vision models, exported (ONNX or TensorFlow.js), answering Custom Vision's
// prediction routes from worker threads on this server, in the cloud's ImagePrediction shape: no Azure call
// at all. A folder of exports serves every one, each under its own project id and published name.
import { CvError, CvErrorCode } from '../http/cv-error.ts';
import { ExportModel, type ModelPackage } from './export-model.ts';
import { shareWorkers, type ServedExport } from './export-selection.ts';
import type { ExportUpstreamConfig } from './export-config.ts';
import type {
  PredictionRequest,
  PredictionUpstream,
  ServedModel,
  UpstreamAnswer,
  UpstreamHealth,
} from './upstream.ts';

export type { ModelPackage } from './export-model.ts';

/** Names a served model: its project id and published name. */
export interface ModelKey {
  readonly projectId: string;
  readonly publishedName: string;
}

/** Whether an upstream can hand its models to devices (an exported model can; the cloud cannot). */
export const hasModelPackage = (
  upstream: object,
): upstream is { modelPackage(model: ModelKey): Promise<ModelPackage> } =>
  typeof (upstream as { modelPackage?: unknown }).modelPackage === 'function';

const sameModel = (model: ServedModel, key: ModelKey) =>
  model.projectId.toLowerCase() === key.projectId.toLowerCase() && model.publishedName === key.publishedName;

export class ExportUpstream implements PredictionUpstream {
  readonly acceptsUrls = false;
  /** Newest first; the first is the one the settings name (and the fetched iteration, when fetching). */
  private readonly exports: readonly ExportModel[];
  private refreshTimer: NodeJS.Timeout | undefined;

  constructor(served: readonly ServedExport[], config: ExportUpstreamConfig) {
    const shares = shareWorkers(config.workers, config.queueLimit, served.length);
    this.exports = served.map(
      (entry, index) =>
        new ExportModel(entry, {
          ...shares[index]!,
          minProbability: config.minProbability,
          maxDetections: config.maxDetections,
        }),
    );
  }

  /** The first export: the newest, or the fetched published iteration (what existing clients use). */
  get primary(): ExportModel {
    return this.exports[0]!;
  }

  get model(): ServedModel {
    return this.primary.model;
  }

  get models(): readonly ServedModel[] {
    return this.exports.map((entry) => entry.model);
  }

  /** Worker threads started for all the exports together. */
  get workers(): number {
    return this.exports.reduce((sum, entry) => sum + entry.stats().workers, 0);
  }

  private exportFor(key: ModelKey): ExportModel {
    const found = this.exports.find((entry) => sameModel(entry.model, key));
    // The route checked the names against `models` already; this guards a call that did not.
    if (!found) {
      throw new CvError(
        404,
        CvErrorCode.NotFound,
        `No exported model is served as project ${key.projectId}, published name "${key.publishedName}" (see /api/config).`,
      );
    }
    return found;
  }

  /** Runs `check` every `everyMs` (one at a time) until the upstream closes. */
  watch(check: () => Promise<void>, everyMs: number): void {
    let running = false;
    this.refreshTimer = setInterval(() => {
      if (running) return;
      running = true;
      void check().finally(() => (running = false));
    }, everyMs).unref();
  }

  /** Resolves once every export's workers have loaded it; rejects with the first that could not. */
  async start(): Promise<void> {
    await Promise.all(this.exports.map((entry) => entry.start()));
  }

  predict(request: PredictionRequest): Promise<UpstreamAnswer> {
    const { image } = request;
    if (!image) {
      throw new CvError(400, CvErrorCode.BadRequestNotSupported, 'An exported model takes image bytes only.');
    }
    return this.exportFor(request.route).predict({ ...request, image });
  }

  /** One budget for the server: the exports' measured capacities added up. */
  budget() {
    const each = this.exports.map((entry) => entry.budget());
    const perSecond = each.reduce((sum, budget) => sum + budget.nostorePerSecond, 0);
    return {
      nostorePerSecond: perSecond,
      storePerSecond: perSecond,
      basis:
        each.length > 1
          ? `${each.length} exported models' capacity (measured)`
          : 'exported model capacity (measured)',
    };
  }

  health(): UpstreamHealth {
    const each = this.exports.map((entry) => entry.health());
    if (each.length === 1) return { ...each[0]!, models: each };
    const sum = (key: string) => each.reduce((total, health) => total + Number(health[key] ?? 0), 0);
    const ready = each.filter((health) => health.ready).length;
    return {
      // Ready for traffic once every model answers: a balancer cannot tell which model a request wants.
      ready: ready === each.length,
      detail: `${ready} of ${each.length} exported models ready. ${each.map((health) => `${String(health['publishedName'])}: ${health.detail}`).join(' ')}`,
      export: each[0]!['export'],
      workers: sum('workers'),
      readyWorkers: sum('readyWorkers'),
      busyWorkers: sum('busyWorkers'),
      queued: sum('queued'),
      queueLimit: sum('queueLimit'),
      restarts: sum('restarts'),
      models: each,
    };
  }

  /** The export served under these names, as a zip for devices that run the model themselves. */
  modelPackage(model: ModelKey): Promise<ModelPackage> {
    return this.exportFor(model).modelPackage();
  }

  async close(): Promise<void> {
    clearInterval(this.refreshTimer);
    await Promise.all(this.exports.map((entry) => entry.close()));
  }
}
