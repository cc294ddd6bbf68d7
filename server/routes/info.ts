// GET /api/health (liveness), /api/ready (readiness), /api/config and /metrics: what the app shell, an
// operator, a load balancer and Prometheus need to know. Never a key or a token. Health and readiness
// answer anyone (probes carry no token) but say only "ok"/"ready" to callers without a valid token; the
// details (upstream host, limiter, Redis) are for authorised callers.
import type { ServerResponse } from 'node:http';
import { sendJson } from '../http/cv-error.ts';
import { MAX_IMAGE_BYTES } from '../http/read-image.ts';
import type { Budget } from '../limits/budget.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Caller } from '../security/access.ts';
import type { TokenStore } from '../security/token-store.ts';
import type { TrainingBackend } from '../upstreams/training-backend.ts';
import { servedModels, type PredictionUpstream } from '../upstreams/upstream.ts';
import type { PublishedIterationWatch } from './published-iteration.ts';
import { predictionPath } from '../../src/shared/custom-vision-path.ts';
import { TRAINING_OPERATIONS, TRAINING_VERSIONS } from '../../src/shared/custom-vision-training.ts';
import { roleAllows, rolesWithin } from '../../src/shared/roles.ts';
import {
  MAX_BATCH_IMAGES,
  MAX_BATCH_TAGS,
  MAX_REGIONS_PER_IMAGE,
  MAX_TRAINING_IMAGE_BYTES,
} from './training-checks.ts';

export interface InfoSources {
  readonly upstream: PredictionUpstream;
  readonly training: TrainingBackend;
  readonly budget: Budget;
  /** The training calls' own budget, when training goes to a rate-limited service. */
  readonly trainingBudget: Budget | undefined;
  /** Which iteration is published under the served model's name, as the training backend tells it. */
  readonly publishedIteration: PublishedIterationWatch;
  readonly tokens: TokenStore;
  readonly metrics: Metrics;
  readonly startedAt: number;
  /** True once shutdown has begun: not ready, so load balancers stop sending. */
  readonly draining: () => boolean;
}

function readiness(sources: InfoSources) {
  const { upstream, budget, tokens, draining } = sources;
  const health = upstream.health();
  const access = tokens.enabled ? tokens.state() : undefined;
  const ready = health.ready && !draining();
  return {
    ready,
    checks: {
      upstream: { ok: health.ready, detail: health.detail },
      limiter: { ok: true, ...budget.state() },
      access: access ? { ok: !access.problem, mode: 'tokens', ...access } : { ok: true, mode: 'open' },
      shutdown: {
        ok: !draining(),
        detail: draining() ? 'shutting down: finishing requests in flight' : 'running',
      },
    },
  };
}

export function sendHealth(res: ServerResponse, sources: InfoSources, authorised: boolean): void {
  const { ready, checks } = readiness(sources);
  if (!authorised) {
    sendJson(res, 200, { status: 'ok', ready });
    return;
  }
  const { detail, ...upstreamDetail } = sources.upstream.health();
  sendJson(res, 200, {
    status: 'ok',
    ready,
    source: sources.upstream.model.source,
    detail,
    uptimeSeconds: Math.round((performance.now() - sources.startedAt) / 100) / 10,
    upstream: upstreamDetail,
    limiter: checks.limiter,
    access: checks.access,
    // Training is not what the instance is ready for (predictions are): reported, never a readiness check.
    training: { source: sources.training.source, ...sources.training.health() },
  });
}

/** 200 when this instance should get traffic, 503 when not (model loading, circuit open, shutting down). */
export function sendReady(res: ServerResponse, sources: InfoSources, authorised: boolean): void {
  const { ready, checks } = readiness(sources);
  sendJson(res, ready ? 200 : 503, authorised ? { ready, checks } : { ready });
}

/**
 * What the caller may do with training: the project, where its routes are, their limits, and the
 * operations its role allows (by their SDK names), so that the app offers only those.
 */
function trainingFor(training: TrainingBackend, trainingBudget: Budget | undefined, caller: Caller) {
  if (training.projectId === undefined) return { available: false, source: training.source };
  const pace = trainingBudget?.reported();
  return {
    available: true,
    source: training.source,
    projectId: training.projectId,
    basePath: `/customvision/${TRAINING_VERSIONS[0]}/training/projects/${training.projectId}`,
    limits: {
      maxImageBytes: MAX_TRAINING_IMAGE_BYTES,
      maxImagesPerBatch: MAX_BATCH_IMAGES,
      maxTagsPerBatch: MAX_BATCH_TAGS,
      maxRegionsPerImage: MAX_REGIONS_PER_IMAGE,
    },
    // The outbox and the iterations panel pace their calls by this, as the camera paces predictions by
    // the budget above; absent when nothing upstream is rate-limited (the local store).
    ...(pace
      ? {
          pace: {
            callsPerSecond: pace.perClientPerSecond ?? pace.nostorePerSecond,
            trainPerSecond: Math.min(pace.storePerSecond, pace.perClientPerSecond ?? Infinity),
            basis: pace.basis,
          },
        }
      : {}),
    // Only what this backend offers: the local store's own operations are not forwarded to Azure.
    operations: TRAINING_OPERATIONS.filter(
      (op) => roleAllows(caller.role, op.role) && (!op.localOnly || training.source === 'local'),
    ).map((op) => op.name),
  };
}

export function sendConfig(
  res: ServerResponse,
  { upstream, training, budget, trainingBudget, publishedIteration }: InfoSources,
  caller: Caller,
): void {
  sendJson(res, 200, {
    // The first is the one clients that know of one model use; the others follow (a folder of exports).
    models: servedModels(upstream).map((model) => {
      const published = publishedIteration.current(model.projectId, model.publishedName);
      return {
        projectId: model.projectId,
        publishedName: model.publishedName,
        type: model.type,
        source: model.source,
        name: model.name,
        predictionPath: predictionPath({
          version: 'v3.1',
          projectId: model.projectId,
          projectType: model.type,
          publishedName: model.publishedName,
          input: 'image',
          store: false,
        }),
        ...(model.tags ? { tags: model.tags } : {}),
        // The iteration behind the published name, when the training backend can tell (same project).
        ...(published ? { publishedIteration: published } : {}),
      };
    }),
    limits: { maxImageBytes: MAX_IMAGE_BYTES },
    // Clients pace themselves by this, and by perClientPerSecond when PER_CLIENT_TPS sets one; each also
    // gets at most a fair share of the budget while others use it.
    budget: { ...budget.reported(), sharing: budget.state().mode },
    // What this caller may do: its role and the roles whose rights it has (predict, contribute, manage).
    caller: { role: caller.role, roles: rolesWithin(caller.role) },
    training: trainingFor(training, trainingBudget, caller),
  });
}

export async function sendMetrics(res: ServerResponse, metrics: Metrics): Promise<void> {
  const { contentType, body } = await metrics.render();
  res.writeHead(200, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  });
  res.end(body);
}
