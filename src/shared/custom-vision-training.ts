// Custom Vision's Training routes that the server offers, as the cloud spells them:
//   /customvision/{v3.3|v3.4-preview}/training/projects/{projectId}/...   (and /domains/{domainId})
// One row per operation: its method and path, the role a caller needs, what its body holds, the query
// parameters passed on, and which of Custom Vision's training rates it counts against. The server routes
// and checks by this table; the app can read from it what a role may do. Operations not listed here
// (listing or creating projects, importing, deleting iterations...) are not offered: the server serves one
// project, never the whole training resource. The fixed segments are matched case-insensitively, as the
// prediction routes are.
//
// Runtime-agnostic: no DOM and no Node.
import type { Role } from './roles.ts';

export const TRAINING_VERSIONS = ['v3.3', 'v3.4-preview'] as const;
export type TrainingVersion = (typeof TRAINING_VERSIONS)[number];

/**
 * What the request's body holds: nothing; training images (raw, or multipart with up to 64 files); one
 * image (quick test); or JSON.
 */
export type TrainingBodyKind = 'none' | 'images' | 'image' | 'json';

/** Custom Vision's training limits: TrainProject has a rate of its own, every other call shares one. */
export type TrainingRate = 'train' | 'call';

export interface TrainingOperation {
  /** The official SDK's method name: also the operation's name in logs and for other backends. */
  readonly name: string;
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** After /customvision/{version}/training, with {projectId}, {iterationId} or {domainId} in it. */
  readonly path: string;
  readonly role: Role;
  readonly body: TrainingBodyKind;
  /** The query parameters passed on (any other is dropped). */
  readonly query: readonly string[];
  readonly rate: TrainingRate;
  /** Offered by the local training store only: forwarding answers 404, as for any path not listed. */
  readonly localOnly: boolean;
}

const op = (
  name: string,
  method: TrainingOperation['method'],
  path: string,
  role: Role,
  options: {
    body?: TrainingBodyKind;
    query?: readonly string[];
    rate?: TrainingRate;
    localOnly?: boolean;
  } = {},
): TrainingOperation => ({
  name,
  method,
  path,
  role,
  body: options.body ?? 'none',
  query: options.query ?? [],
  rate: options.rate ?? 'call',
  localOnly: options.localOnly ?? false,
});

const P = '/projects/{projectId}';
const I = `${P}/iterations/{iterationId}`;
const TAKE = ['orderBy', 'take', 'skip'];

export const TRAINING_OPERATIONS: readonly TrainingOperation[] = [
  // Reading the project: what an annotating device needs to know (detection or classification, tags).
  op('getDomain', 'GET', '/domains/{domainId}', 'contribute'),
  op('getProject', 'GET', P, 'contribute'),
  op('getTags', 'GET', `${P}/tags`, 'contribute', { query: ['iterationId'] }),
  op('createTag', 'POST', `${P}/tags`, 'contribute', { query: ['name', 'description', 'type'] }),
  // Uploading, tagging and annotating images.
  op('createImagesFromData', 'POST', `${P}/images`, 'contribute', { body: 'images', query: ['tagIds'] }),
  op('createImagesFromFiles', 'POST', `${P}/images/files`, 'contribute', { body: 'json' }),
  op('createImagesFromPredictions', 'POST', `${P}/images/predictions`, 'contribute', { body: 'json' }),
  op('createImageRegions', 'POST', `${P}/images/regions`, 'contribute', { body: 'json' }),
  op('deleteImageRegions', 'DELETE', `${P}/images/regions`, 'contribute', { query: ['regionIds'] }),
  op('createImageTags', 'POST', `${P}/images/tags`, 'contribute', { body: 'json' }),
  op('deleteImageTags', 'DELETE', `${P}/images/tags`, 'contribute', { query: ['imageIds', 'tagIds'] }),
  // Reading images and the stored predictions.
  op('getImages', 'GET', `${P}/images`, 'contribute', {
    query: ['iterationId', 'tagIds', 'taggingStatus', '$filter', ...TAKE],
  }),
  op('getImageCount', 'GET', `${P}/images/count`, 'contribute', {
    query: ['iterationId', 'taggingStatus', '$filter', 'tagIds'],
  }),
  op('getTaggedImages', 'GET', `${P}/images/tagged`, 'contribute', {
    query: ['iterationId', 'tagIds', ...TAKE],
  }),
  op('getTaggedImageCount', 'GET', `${P}/images/tagged/count`, 'contribute', {
    query: ['iterationId', 'tagIds'],
  }),
  op('getUntaggedImages', 'GET', `${P}/images/untagged`, 'contribute', { query: ['iterationId', ...TAKE] }),
  op('getUntaggedImageCount', 'GET', `${P}/images/untagged/count`, 'contribute', { query: ['iterationId'] }),
  op('getImagesByIds', 'GET', `${P}/images/id`, 'contribute', { query: ['imageIds', 'iterationId'] }),
  op('queryPredictions', 'POST', `${P}/predictions/query`, 'contribute', { body: 'json' }),
  // Managing the project: deleting images, training, publishing, exporting, testing.
  op('deleteImages', 'DELETE', `${P}/images`, 'manage', {
    query: ['imageIds', 'allImages', 'allIterations'],
  }),
  op('getIterations', 'GET', `${P}/iterations`, 'manage'),
  op('getIteration', 'GET', I, 'manage'),
  op('trainProject', 'POST', `${P}/train`, 'manage', {
    query: ['trainingType', 'reservedBudgetInHours', 'forceTrain', 'notificationEmailAddress'],
    rate: 'train',
  }),
  op('getIterationPerformance', 'GET', `${I}/performance`, 'manage', {
    query: ['threshold', 'overlapThreshold'],
  }),
  op('publishIteration', 'POST', `${I}/publish`, 'manage', {
    query: ['publishName', 'predictionId', 'overwrite'],
  }),
  op('unpublishIteration', 'DELETE', `${I}/publish`, 'manage'),
  // Offered by the local training store, whose iterations are trained here.
  op('deleteIteration', 'DELETE', I, 'manage', { localOnly: true }),
  op('exportIteration', 'POST', `${I}/export`, 'manage', { query: ['platform', 'flavor'] }),
  op('getExports', 'GET', `${I}/export`, 'manage'),
  op('quickTestImage', 'POST', `${P}/quicktest/image`, 'manage', {
    body: 'image',
    query: ['iterationId', 'store'],
  }),
  // The local training store only: it holds several projects (forwarding serves one and never lists,
  // creates or deletes projects of the training resource), and serves its images' files itself, where
  // Custom Vision's Image points to its blob storage.
  op('getProjects', 'GET', '/projects', 'contribute', { localOnly: true }),
  op('createProject', 'POST', '/projects', 'manage', {
    query: ['name', 'description', 'domainId', 'classificationType', 'targetExportPlatforms'],
    localOnly: true,
  }),
  op('deleteProject', 'DELETE', P, 'manage', { localOnly: true }),
  op('getImageThumbnail', 'GET', `${P}/images/{imageId}/thumbnail`, 'contribute', { localOnly: true }),
  op('getImageOriginal', 'GET', `${P}/images/{imageId}/original`, 'contribute', { localOnly: true }),
];

export const TRAINING_PREFIX = /^\/customvision\/(v3\.3|v3\.4-preview)\/training(\/.*)$/i;

/** A training path read against the table. */
export type TrainingMatch =
  | {
      readonly kind: 'operation';
      readonly version: TrainingVersion;
      readonly operation: TrainingOperation;
      /** The path's parameters, decoded, GUIDs lower-cased: projectId, iterationId, domainId. */
      readonly params: Readonly<Record<string, string>>;
    }
  /** The path is an operation's, but not with this method. */
  | { readonly kind: 'method'; readonly allowed: readonly string[] }
  | { readonly kind: 'none' };

const compiled = TRAINING_OPERATIONS.map((operation) => {
  const names: string[] = [];
  const source = operation.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { operation, names, pattern: new RegExp(`^${source}/?$`, 'i') };
});

export function matchTrainingPath(pathname: string, method: string): TrainingMatch {
  const prefix = TRAINING_PREFIX.exec(pathname);
  if (!prefix) return { kind: 'none' };
  const rest = prefix[2]!;
  const allowed: string[] = [];
  for (const { operation, names, pattern } of compiled) {
    const match = pattern.exec(rest);
    if (!match) continue;
    if (operation.method !== method) {
      allowed.push(operation.method);
      continue;
    }
    const params: Record<string, string> = {};
    try {
      names.forEach((name, index) => (params[name] = decodeURIComponent(match[index + 1]!).toLowerCase()));
    } catch {
      return { kind: 'none' };
    }
    return { kind: 'operation', version: prefix[1]!.toLowerCase() as TrainingVersion, operation, params };
  }
  return allowed.length ? { kind: 'method', allowed } : { kind: 'none' };
}

/** The path of an operation, on the cloud or on the Sightline server (the same path on both). */
export function trainingPath(
  version: TrainingVersion,
  operation: TrainingOperation,
  params: Readonly<Record<string, string>>,
): string {
  return (
    `/customvision/${version}/training` +
    operation.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? ''))
  );
}
