// Custom Vision's Training routes, /customvision/{v3.3|v3.4-preview}/training/..., for the configured
// project only. The app has already checked the caller's role against the operation's (by the route
// table); this reads the path against the operations table, checks everything Custom Vision limits
// (training-checks.ts) before anything goes upstream, admits the call by the training budget, and relays
// the backend's answer as it is, 207 partial results included.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ClientPresence } from '../http/client-presence.ts';
import { CvError, CvErrorCode } from '../http/cv-error.ts';
import { readBody } from '../http/read-body.ts';
import { readRequestImage, readRequestImages } from '../http/read-image.ts';
import type { Budget } from '../limits/budget.ts';
import type { BodyMemory } from './body-memory.ts';
import type { Caller } from '../security/access.ts';
import {
  trainingUnavailable,
  type TrainingBackend,
  type TrainingBody,
} from '../upstreams/training-backend.ts';
import type { UpstreamTrace } from '../upstreams/upstream.ts';
import { admitOrRefuse } from './admission.ts';
import {
  badRequest,
  checkJsonBody,
  checkQuery,
  jsonBodyLimit,
  MAX_BATCH_IMAGES,
  MAX_TRAINING_IMAGE_BYTES,
} from './training-checks.ts';
import {
  matchTrainingPath,
  TRAINING_OPERATIONS,
  type TrainingOperation,
} from '../../src/shared/custom-vision-training.ts';

export interface TrainingContext {
  readonly backend: TrainingBackend;
  /** The training budget, apart from the prediction budget; undefined when nothing is rate-limited. */
  readonly budget: Budget | undefined;
  readonly caller: Caller;
  readonly client: ClientPresence;
  readonly trace: UpstreamTrace;
  readonly bodyIdleMs: number;
  /** Memory the training bodies being read at once may take (shared by every request). */
  readonly bodyMemory: BodyMemory;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export async function handleTraining(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  context: TrainingContext,
): Promise<void> {
  const { backend, client, trace } = context;
  const match = matchTrainingPath(url.pathname, req.method ?? '');
  if (match.kind === 'method') {
    throw new CvError(
      405,
      CvErrorCode.BadRequestNotSupported,
      `This training path takes ${match.allowed.join(' or ')}, not ${req.method}.`,
      { Allow: match.allowed.join(', ') },
    );
  }
  if (match.kind === 'none') {
    throw new CvError(
      404,
      CvErrorCode.NotFound,
      `No such training route on this server. It offers: ${TRAINING_OPERATIONS.map((op) => `${op.method} ${op.path}`).join(', ')}.`,
    );
  }
  if (backend.projectId === undefined) throw trainingUnavailable();
  const { operation, params, version } = match;
  if (operation.localOnly && backend.source !== 'local') {
    throw new CvError(
      404,
      CvErrorCode.NotFound,
      `${operation.name} is offered by the local training store only.`,
    );
  }
  checkParams(params, backend.severalProjects ? undefined : backend.projectId);
  const query = readQuery(url, operation);
  const release = context.bodyMemory.reserve(bodyMemoryNeeded(req, operation));
  try {
    await readAndHandle();
  } finally {
    release();
  }

  async function readAndHandle(): Promise<void> {
    const body = await readTrainingBody(req, operation, context.bodyIdleMs);
    const answer = await backend.handle({
      version,
      operation,
      params,
      query,
      body,
      client,
      trace,
      admit: () => admitOne(context, operation),
    });
    res.writeHead(answer.status, {
      ...answer.headers,
      'Content-Length': answer.body.length,
      'Cache-Control': 'no-store',
    });
    res.end(answer.body);
  }
}

/**
 * What reading an operation's body may take: its Content-Length (HTTP framing holds a body to it) or, sent
 * chunked, the most it may be; JSON three times over (the bytes, the string, and what parsing and base64
 * decoding make of it).
 */
function bodyMemoryNeeded(req: IncomingMessage, operation: TrainingOperation): number {
  if (operation.body === 'none') return 0;
  const declared = Number(req.headers['content-length']);
  const most =
    operation.body === 'json'
      ? jsonBodyLimit(operation.name)
      : operation.body === 'image'
        ? MAX_TRAINING_IMAGE_BYTES
        : MAX_BATCH_IMAGES * MAX_TRAINING_IMAGE_BYTES;
  const bytes = Number.isFinite(declared) && declared >= 0 ? Math.min(declared, most) : most;
  return operation.body === 'json' ? bytes * 3 : bytes;
}

/**
 * Only the configured project is offered: the server is no relay into the whole training resource. A
 * backend that holds several projects (projectId undefined here) says itself which exist.
 */
function checkParams(params: Readonly<Record<string, string>>, projectId: string | undefined): void {
  for (const [name, value] of Object.entries(params)) {
    if (!GUID.test(value)) {
      throw new CvError(
        404,
        name === 'projectId' ? CvErrorCode.NotFoundProject : CvErrorCode.NotFound,
        `${name} "${value.slice(0, 64)}" is not a GUID.`,
      );
    }
  }
  if (projectId !== undefined && params['projectId'] !== undefined && params['projectId'] !== projectId) {
    throw new CvError(
      404,
      CvErrorCode.NotFoundProject,
      `Project ${params['projectId']} is not offered here; this server trains project ${projectId} only.`,
    );
  }
}

/** The operation's own query parameters, checked; any other is dropped. */
function readQuery(url: URL, operation: TrainingOperation): [string, string][] {
  const kept: [string, string][] = [];
  for (const [name, value] of url.searchParams) {
    if (!operation.query.includes(name)) continue;
    checkQuery(operation.name, name, value);
    kept.push([name, value]);
  }
  return kept;
}

async function readTrainingBody(
  req: IncomingMessage,
  operation: TrainingOperation,
  idleMs: number,
): Promise<TrainingBody> {
  switch (operation.body) {
    case 'none':
      return { kind: 'none' };
    case 'image':
      return { kind: 'image', image: await readRequestImage(req, MAX_TRAINING_IMAGE_BYTES, idleMs) };
    case 'images':
      return {
        kind: 'images',
        images: await readRequestImages(req, {
          limit: MAX_TRAINING_IMAGE_BYTES,
          maxFiles: MAX_BATCH_IMAGES,
          idleMs,
          tooMany: () =>
            badRequest(
              CvErrorCode.BadRequestExceededBatchSize,
              `At most ${MAX_BATCH_IMAGES} images a batch. Split it into smaller batches.`,
            ),
        }),
      };
    case 'json': {
      const limit = jsonBodyLimit(operation.name);
      const raw = await readBody(req, {
        limit,
        idleMs,
        tooLarge: () =>
          new CvError(
            413,
            CvErrorCode.BadRequestImageSizeBytes,
            `The body is larger than ${limit} bytes. Send fewer images a batch, or large ones as multipart to the images route.`,
          ),
      });
      let value: unknown;
      try {
        value = JSON.parse(raw.toString('utf8'));
      } catch {
        throw badRequest(CvErrorCode.BadRequest, `The body of ${operation.name} must be JSON.`);
      }
      checkJsonBody(operation.name, value);
      return { kind: 'json', value };
    }
  }
}

/** One call in the training budget, TrainProject also against its own narrower rate. */
function admitOne(context: TrainingContext, operation: TrainingOperation) {
  const { budget, caller, client, trace, backend } = context;
  if (!budget) return Promise.resolve({ sent: () => undefined });
  const train = operation.rate === 'train';
  return admitOrRefuse(budget, { clientId: caller.id, store: train, client, trace }, (refusal) => {
    const figures = backend.budget();
    const perSecond = train ? figures?.storePerSecond : figures?.nostorePerSecond;
    return refusal.reason === 'client'
      ? `This client has used its share of the training budget (${refusal.share} per second while ${refusal.active} clients share it).`
      : `This server's training budget for ${train ? 'TrainProject' : 'training calls'} (${perSecond}/s, ${figures?.basis}) is spent for now.`;
  });
}
