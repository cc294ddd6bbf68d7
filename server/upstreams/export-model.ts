// One exported model served by this server: its worker pool, the tag ids it answers with, the package
// devices download, and the swap to a newly published iteration. ExportUpstream routes requests to these.
import { measuredPoolBudget, timedPredictionAnswer } from './pool-capacity.ts';
import { poolRefusal } from './pool-refusal.ts';
import { createHash, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CvError, CvErrorCode } from '../http/cv-error.ts';
import type { RequestImage } from '../http/read-image.ts';
import {
  ExportImageError,
  ExportPool,
  ExportQueueFullError,
  ExportWorkerError,
} from '../model-export/export-pool.ts';
import { readExportSource } from '../model-export/read-export.ts';
import { writeZip } from '../model-export/zip-writer.ts';
import { SERVED_IDS_FILE } from '../../src/shared/model-export/export-files.ts';
import {
  tagIdsFor,
  toImagePrediction,
  type KnownTag,
} from '../../src/shared/model-export/image-prediction.ts';
import type { ServedExport } from './export-selection.ts';
import type { ServedModel, UpstreamAnswer, UpstreamHealth, PredictionRequest } from './upstream.ts';

/** What the client is told when the model could not answer; any other error as it is. */
function refusal(error: unknown): unknown {
  return poolRefusal(error, {
    queueFull: ExportQueueFullError,
    unreadable: ExportImageError,
    failed: ExportWorkerError,
  });
}

export interface ModelPackage {
  readonly bytes: Buffer;
  readonly sha1: string;
}

/** How one export's pool runs: its share of the workers and queue, and the answers' limits. */
export interface ExportModelOptions {
  readonly workers: number;
  readonly queueLimit: number;
  readonly minProbability: number;
  readonly maxDetections: number;
}

/** What /api/config says of an export. */
function servedModel(served: ServedExport): ServedModel {
  const { plan } = served;
  return {
    // Answered on this server with no cloud call, as the embedded detector is.
    source: 'local',
    projectId: served.projectId,
    publishedName: served.publishedName,
    type: plan.projectType,
    name: `Custom Vision export: ${plan.summary}`,
    tags: plan.labels,
  };
}

export class ExportModel {
  model: ServedModel;
  private pool: ExportPool;
  private tagIds: string[];
  private knownTags: readonly KnownTag[] = [];
  private startError: Error | undefined;
  private packaged: Promise<ModelPackage> | undefined;

  constructor(
    private served: ServedExport,
    private readonly options: ExportModelOptions,
  ) {
    this.model = servedModel(served);
    this.tagIds = tagIdsFor(served.plan.labels, served.projectId);
    this.pool = this.newPool(served);
  }

  private newPool(served: ServedExport): ExportPool {
    return new ExportPool({ ...this.options, source: served.source });
  }

  /** The export served now (its file, iteration and plan). */
  get current(): ServedExport {
    return this.served;
  }

  /** The project's own tag ids, matched by name (exports carry names only), from now on. */
  useKnownTags(tags: readonly KnownTag[]): void {
    this.knownTags = tags;
    this.tagIds = tagIdsFor(this.served.plan.labels, this.served.projectId, tags);
    // Devices get the package again with these ids (its SHA-1, so its ETag, changes).
    this.packaged = undefined;
  }

  /**
   * Serves another export (a newly published iteration) from now on: its workers load it first, while
   * the current ones keep answering; then requests go to them and the old workers finish and stop. If
   * the new export fails to load, the current one stays.
   */
  async replaceExport(next: ServedExport): Promise<void> {
    const pool = this.newPool(next);
    try {
      await pool.start();
    } catch (error) {
      await pool.close();
      throw error;
    }
    const old = this.pool;
    this.pool = pool;
    this.served = next;
    this.model = servedModel(next);
    this.tagIds = tagIdsFor(next.plan.labels, next.projectId, this.knownTags);
    this.packaged = undefined;
    this.startError = undefined;
    await old.closeWhenIdle();
  }

  async start(): Promise<void> {
    try {
      await this.pool.start();
    } catch (error) {
      this.startError = error as Error;
      throw error;
    }
  }

  /** Answers an image (the route was checked against this model already). */
  async predict(request: PredictionRequest & { readonly image: RequestImage }): Promise<UpstreamAnswer> {
    if (this.pool.stats().readyWorkers === 0) {
      throw new CvError(
        503,
        CvErrorCode.ErrorPredictionServiceUnavailable,
        this.startError
          ? `The exported model failed to load (${this.startError.message}); see the server's log.`
          : 'The exported model is still loading; retry in a few seconds.',
        this.startError ? {} : { 'Retry-After': '2' },
      );
    }
    (await request.admit()).sent(); // nothing to wait for: the workers are in this process
    // The export answering and its labels are taken together: another may be swapped in meanwhile.
    const { served, pool, tagIds } = this;
    let answer;
    try {
      answer = await pool.predict(request.image.bytes, request.client.signal);
      request.trace.outcomes.push('200');
    } catch (error) {
      if (error instanceof ExportQueueFullError) request.trace.refused = 'queue-full';
      throw refusal(error);
    }
    const prediction = toImagePrediction(answer.results, {
      id: randomUUID(),
      projectId: served.projectId,
      iterationId: served.iterationId,
      labels: served.plan.labels,
      tagIds,
      created: new Date(),
    });
    return timedPredictionAnswer(prediction, answer.timing);
  }

  /** The workers' measured capacity: one image per worker per median job time. */
  budget() {
    return measuredPoolBudget(this.pool.stats(), 'exported model capacity (measured)');
  }

  stats() {
    return this.pool.stats();
  }

  health(): UpstreamHealth {
    const stats = this.pool.stats();
    const { plan } = this.served;
    const detail =
      this.startError && stats.readyWorkers === 0
        ? `The exported model failed to load: ${this.startError.message}`
        : stats.readyWorkers > 0
          ? `Exported model ready (${plan.summary}) on ${stats.backend ?? 'its runtime'}: ${stats.readyWorkers} worker(s), ${stats.busyWorkers} busy, ${stats.queued} waiting.`
          : `The exported model (${plan.summary}) is loading.`;
    return {
      ready: stats.readyWorkers > 0,
      detail,
      projectId: this.model.projectId,
      publishedName: this.model.publishedName,
      export: path.basename(this.served.source),
      ...stats,
    };
  }

  /** The served export as a zip, for devices that run the model themselves, with its SHA-1 (read once). */
  modelPackage(): Promise<ModelPackage> {
    this.packaged ??= this.readPackage();
    return this.packaged;
  }

  private async readPackage(): Promise<ModelPackage> {
    // Always one zip: a folder's exports are served one by one, never a folder itself.
    const { served, tagIds } = this;
    // Until the project's tags are known, a device derives the same ids from the labels as this server;
    // after, the export goes out with the server's ids added, so a device's answers carry the cloud's.
    const bytes = this.knownTags.length
      ? writeZip(
          [
            ...(await readExportSource(served.source)),
            [
              SERVED_IDS_FILE,
              Buffer.from(
                JSON.stringify({
                  ProjectId: served.projectId,
                  IterationId: served.iterationId,
                  TagIds: tagIds,
                }),
              ),
            ],
          ],
          { deflate: true },
        )
      : await readFile(served.source);
    return { bytes, sha1: createHash('sha1').update(bytes).digest('hex') };
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
