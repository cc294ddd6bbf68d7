// The files of a Custom Vision export (cvexport.manifest, metadata_properties.json, labels.txt and the
// model), read from a map of file name to bytes: a zip's entries or a folder's files.
import { isObject } from '../json.ts';
import { readOnnxSignature } from './onnx-model.ts';
import type { ModelSignature } from './signature.ts';
import { readTfjsSignature } from './tfjs-model.ts';
import { decodeUtf8 } from './utf8.ts';

export interface ExportManifest {
  readonly domainType?: string;
  readonly platform?: string;
  readonly flavor?: string;
  readonly iterationId?: string;
  readonly modelFileName?: string;
  readonly modelFileSha1?: string;
  readonly exportedDate?: string;
}

export type ExportModel =
  | { readonly format: 'onnx'; readonly fileName: string; readonly bytes: Uint8Array }
  | {
      readonly format: 'tfjs';
      readonly fileName: string;
      readonly modelJson: unknown;
      /** The weight shards in manifest order, concatenated. */
      readonly weights: Uint8Array;
    };

/**
 * sightline-model.json: a model Sightline itself packages for devices (the embedded CenterNet detector),
 * with the ids and limits its server answers with.
 */
export interface SightlinePackage {
  readonly family: 'CenterNet';
  readonly input: string;
  readonly output: string;
  readonly inputSize: number;
  readonly projectId: string;
  readonly iterationId: string;
  readonly tagIds: readonly string[];
  readonly minProbability: number;
  readonly maxDetections: number;
  readonly iouThreshold: number;
}

/**
 * sightline-ids.json: added by Sightline's server to an export it hands to devices once it knows the
 * project's own tag ids (the export names labels only), so a device answers with the ids the server does.
 */
export interface ServedIds {
  readonly projectId: string;
  readonly iterationId: string;
  /** One per label of labels.txt, in its order. */
  readonly tagIds: readonly string[];
}

export const SERVED_IDS_FILE = 'sightline-ids.json';

export interface ExportFiles {
  readonly manifest?: ExportManifest;
  readonly sightlinePackage?: SightlinePackage;
  readonly servedIds?: ServedIds;
  /** metadata_properties.json: the preprocessing and postprocessing settings, as strings. */
  readonly properties: Readonly<Record<string, string>>;
  readonly labels: readonly string[];
  readonly model: ExportModel;
  readonly signature: ModelSignature;
}

export class ExportFilesError extends Error {
  override name = 'ExportFilesError';
}

const text = (bytes: Uint8Array) => decodeUtf8(bytes).replace(/^\uFEFF/, '');

function parseJson(bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(text(bytes));
  } catch {
    throw new ExportFilesError(`${what} is not valid JSON: the export is damaged; download it again.`);
  }
}

const stringField = (object: Readonly<Record<string, unknown>>, key: string) =>
  typeof object[key] === 'string' ? object[key] : undefined;

export function parseManifest(bytes: Uint8Array): ExportManifest {
  const json = parseJson(bytes, 'cvexport.manifest');
  if (!isObject(json)) throw new ExportFilesError('cvexport.manifest is not a JSON object.');
  const fields: Record<string, string | undefined> = {
    domainType: stringField(json, 'DomainType'),
    platform: stringField(json, 'Platform'),
    flavor: stringField(json, 'Flavor'),
    iterationId: stringField(json, 'IterationId'),
    modelFileName: stringField(json, 'ModelFileName'),
    modelFileSha1: stringField(json, 'ModelFileSHA1'),
    exportedDate: stringField(json, 'ExportedDate'),
  };
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

function parseSightlinePackage(bytes: Uint8Array): SightlinePackage {
  const json = parseJson(bytes, 'sightline-model.json');
  const ok =
    isObject(json) &&
    json['Family'] === 'CenterNet' &&
    typeof json['Input'] === 'string' &&
    typeof json['Output'] === 'string' &&
    typeof json['InputSize'] === 'number' &&
    typeof json['ProjectId'] === 'string' &&
    typeof json['IterationId'] === 'string' &&
    Array.isArray(json['TagIds']);
  if (!ok)
    throw new ExportFilesError(
      'sightline-model.json does not describe a model this app knows; update the app.',
    );
  return {
    family: 'CenterNet',
    input: json['Input'] as string,
    output: json['Output'] as string,
    inputSize: json['InputSize'] as number,
    projectId: json['ProjectId'] as string,
    iterationId: json['IterationId'] as string,
    tagIds: (json['TagIds'] as unknown[]).map(String),
    minProbability: Number(json['MinProbability'] ?? 0.15),
    maxDetections: Number(json['MaxDetections'] ?? 20),
    iouThreshold: Number(json['IouThreshold'] ?? 0.5),
  };
}

function parseServedIds(bytes: Uint8Array, labelCount: number): ServedIds {
  const json = parseJson(bytes, SERVED_IDS_FILE);
  const ok =
    isObject(json) &&
    typeof json['ProjectId'] === 'string' &&
    typeof json['IterationId'] === 'string' &&
    Array.isArray(json['TagIds']) &&
    json['TagIds'].length === labelCount;
  if (!ok) {
    throw new ExportFilesError(
      `${SERVED_IDS_FILE} does not name one tag id per label; fetch the model package from the server again.`,
    );
  }
  return {
    projectId: json['ProjectId'] as string,
    iterationId: json['IterationId'] as string,
    tagIds: (json['TagIds'] as unknown[]).map(String),
  };
}

/** labels.txt: one label a line; the line's index is the class index. Trailing blank lines are not labels. */
export function parseLabels(bytes: Uint8Array): string[] {
  const lines = text(bytes)
    .split(/\r?\n/)
    .map((line) => line.trim());
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** The last path segment: zips may hold the files in a folder. */
const baseName = (path: string) => path.slice(path.lastIndexOf('/') + 1);

/** Reads an export from its files (names may carry folders; only base names matter). */
export function readExportFiles(files: ReadonlyMap<string, Uint8Array>): ExportFiles {
  const byName = new Map<string, Uint8Array>();
  for (const [path, bytes] of files) if (!path.endsWith('/')) byName.set(baseName(path), bytes);
  const manifestBytes = byName.get('cvexport.manifest');
  const manifest = manifestBytes ? parseManifest(manifestBytes) : undefined;
  const propertiesBytes = byName.get('metadata_properties.json');
  const properties: Record<string, string> = {};
  if (propertiesBytes) {
    const json = parseJson(propertiesBytes, 'metadata_properties.json');
    if (isObject(json)) for (const [key, value] of Object.entries(json)) properties[key] = String(value);
  }
  const labelsBytes = byName.get('labels.txt');
  if (!labelsBytes) {
    throw new ExportFilesError(
      `The export has no labels.txt (found: ${[...byName.keys()].join(', ') || 'nothing'}); use the zip as Custom Vision made it.`,
    );
  }
  const labels = parseLabels(labelsBytes);
  const packageBytes = byName.get('sightline-model.json');
  const sightlinePackage = packageBytes ? parseSightlinePackage(packageBytes) : undefined;
  const idsBytes = byName.get(SERVED_IDS_FILE);
  const servedIds = idsBytes ? parseServedIds(idsBytes, labels.length) : undefined;
  const model = findModel(byName, manifest);
  const signature =
    model.format === 'onnx' ? readOnnxSignature(model.bytes) : readTfjsSignature(model.modelJson);
  return {
    ...(manifest ? { manifest } : {}),
    ...(sightlinePackage ? { sightlinePackage } : {}),
    ...(servedIds ? { servedIds } : {}),
    properties,
    labels,
    model,
    signature,
  };
}

function findModel(
  byName: ReadonlyMap<string, Uint8Array>,
  manifest: ExportManifest | undefined,
): ExportModel {
  const onnxNames = [...byName.keys()].filter((name) => name.toLowerCase().endsWith('.onnx'));
  const modelJson = byName.get('model.json');
  if (modelJson) {
    const json = parseJson(modelJson, 'model.json');
    const paths =
      isObject(json) && Array.isArray(json['weightsManifest'])
        ? (json['weightsManifest'] as unknown[]).flatMap((group) =>
            isObject(group) && Array.isArray(group['paths']) ? (group['paths'] as unknown[]).map(String) : [],
          )
        : [];
    const shards = paths.map((path) => {
      const shard = byName.get(baseName(path));
      if (!shard)
        throw new ExportFilesError(`model.json names the weights file ${path}, which the export lacks.`);
      return shard;
    });
    const weights = new Uint8Array(shards.reduce((sum, shard) => sum + shard.length, 0));
    let offset = 0;
    for (const shard of shards) {
      weights.set(shard, offset);
      offset += shard.length;
    }
    return { format: 'tfjs', fileName: 'model.json', modelJson: json, weights };
  }
  const named =
    manifest?.modelFileName && onnxNames.includes(manifest.modelFileName)
      ? manifest.modelFileName
      : undefined;
  const onnxName = named ?? (onnxNames.length === 1 ? onnxNames[0] : undefined);
  if (onnxName) return { format: 'onnx', fileName: onnxName, bytes: byName.get(onnxName)! };
  throw new ExportFilesError(
    `The export holds no model Sightline can run (found: ${[...byName.keys()].join(', ') || 'nothing'}${
      manifest ? `; manifest: platform ${manifest.platform ?? '?'}, flavor ${manifest.flavor ?? '?'}` : ''
    }). Export the iteration as ONNX or TensorFlowJs.`,
  );
}
