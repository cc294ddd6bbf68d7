// What the Training API tells an exported model's server: the project's tag ids (exports carry names
// only), and the published iteration's export itself (export, poll, download, SHA-1 check), so that a
// newly published iteration reaches the server and its devices without anyone copying files.
import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isObject } from '../../src/shared/json.ts';
import { readExportFiles } from '../../src/shared/model-export/export-files.ts';
import type { KnownTag } from '../../src/shared/model-export/image-prediction.ts';
import { recogniseExport } from '../../src/shared/model-export/recognise.ts';
import { sha1, toHex } from '../../src/shared/model-export/sha1.ts';
import { readZipFiles } from '../../src/shared/model-export/zip.ts';
import { promisify } from 'node:util';
import { inflateRaw } from 'node:zlib';
import type { CustomVisionTrainingConfig } from './custom-vision-training-config.ts';

const inflate = promisify(inflateRaw);
const API = 'customvision/v3.3/training';
const CALL_TIMEOUT_MS = 30_000;
const MAX_EXPORT_BYTES = 512 * 1024 * 1024;

export type ExportPlatform = 'ONNX' | 'TensorFlowJs';

export class ExportFetchError extends Error {
  override name = 'ExportFetchError';
}

type Training = Pick<CustomVisionTrainingConfig, 'endpoint' | 'trainingKey' | 'projectId'>;

async function trainingCall(training: Training, method: 'GET' | 'POST', route: string): Promise<unknown> {
  const url = `${training.endpoint}/${API}/projects/${training.projectId}${route}`;
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: { 'Training-Key': training.trainingKey, Accept: 'application/json' },
      signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
    });
  } catch (error) {
    throw new ExportFetchError(
      `The Training API could not be reached (${(error as Error).message}); check CUSTOM_VISION_TRAINING_ENDPOINT.`,
    );
  }
  const text = await response.text();
  if (!response.ok) {
    // Custom Vision's own error code and message say what is wrong (never the key, which is not echoed).
    throw new ExportFetchError(
      `The Training API answered ${response.status} to ${method} ${route}: ${text.slice(0, 300)}`,
    );
  }
  return JSON.parse(text) as unknown;
}

/** The project's tags as the cloud names them, for matching an export's labels to their ids. */
export async function fetchProjectTags(training: Training): Promise<KnownTag[]> {
  const tags = await trainingCall(training, 'GET', '/tags');
  if (!Array.isArray(tags))
    throw new ExportFetchError('The Training API answered the tag list with something else.');
  return (tags as unknown[])
    .filter(isObject)
    .flatMap((tag) =>
      typeof tag['id'] === 'string' && typeof tag['name'] === 'string'
        ? [{ id: tag['id'], name: tag['name'] }]
        : [],
    );
}

interface ExportStatus {
  platform?: string;
  flavor?: string | null;
  status?: string;
  downloadUri?: string | null;
}

const PLATFORM_QUERY: Record<ExportPlatform, string> = {
  ONNX: 'platform=ONNX',
  TensorFlowJs: 'platform=TensorFlow&flavor=TensorFlowJs',
};

const matches = (status: ExportStatus, platform: ExportPlatform) =>
  platform === 'ONNX'
    ? status.platform === 'ONNX'
    : status.platform === 'TensorFlow' && status.flavor === 'TensorFlowJs';

export interface FetchExportOptions {
  readonly publishedName: string;
  readonly platform: ExportPlatform;
  /** Where the zip is written, as `<iteration id>.zip`. */
  readonly folder: string;
  /** The longest wait between polls (they start at a quarter of a second and double). */
  readonly pollMs?: number;
  readonly timeoutMs?: number;
  readonly onProgress?: (message: string) => void;
}

/**
 * Fetches the export of the iteration published under `publishedName` into the folder, unless it is
 * there already; resolves with the zip's path. The model file is checked against the SHA-1 in the
 * export's manifest before the zip takes its final name, so a damaged download never gets served.
 */
export async function fetchPublishedExport(training: Training, options: FetchExportOptions): Promise<string> {
  const {
    publishedName,
    platform,
    folder,
    pollMs = 2_000,
    timeoutMs = 10 * 60_000,
    onProgress = () => undefined,
  } = options;
  const iterations = await trainingCall(training, 'GET', '/iterations');
  const iteration = Array.isArray(iterations)
    ? (iterations as { id?: string; publishName?: string }[]).find(
        (item) => item.publishName === publishedName,
      )
    : undefined;
  if (!iteration?.id) {
    throw new ExportFetchError(
      `No iteration of project ${training.projectId} is published as "${publishedName}"; publish one, or fix CUSTOM_VISION_PUBLISHED_NAME.`,
    );
  }
  const target = path.join(folder, `${iteration.id}.zip`);
  if (existsSync(target)) return target;
  const route = `/iterations/${iteration.id}/export`;
  const current = async () =>
    ((await trainingCall(training, 'GET', route)) as ExportStatus[]).find((item) => matches(item, platform));
  let status = await current();
  if (!status || status.status === 'Failed') {
    onProgress(`asking Custom Vision to export iteration ${iteration.id} (${platform})`);
    await trainingCall(training, 'POST', `${route}?${PLATFORM_QUERY[platform]}`);
    status = await current();
  }
  const deadline = Date.now() + timeoutMs;
  let wait = Math.min(250, pollMs);
  while (status?.status !== 'Done') {
    if (status?.status === 'Failed')
      throw new ExportFetchError(`Custom Vision could not export iteration ${iteration.id} as ${platform}.`);
    if (Date.now() > deadline)
      throw new ExportFetchError(
        `Custom Vision had not finished exporting iteration ${iteration.id} after ${timeoutMs / 1000} s.`,
      );
    onProgress(`waiting for the export of iteration ${iteration.id} (${status?.status ?? 'not listed yet'})`);
    await new Promise((resolve) => setTimeout(resolve, wait));
    // Small exports are ready in a second or two, large ones take minutes: the polls spread out.
    wait = Math.min(pollMs, wait * 2);
    status = await current();
  }
  if (!status.downloadUri)
    throw new ExportFetchError(
      `The export of iteration ${iteration.id} is done but has no download address.`,
    );
  onProgress(`downloading the export of iteration ${iteration.id}`);
  // The download address is signed on its own: the training key never goes there.
  const download = await fetch(status.downloadUri, { signal: AbortSignal.timeout(timeoutMs) });
  if (!download.ok)
    throw new ExportFetchError(`The export download answered ${download.status}; try again later.`);
  const zip = new Uint8Array(await download.arrayBuffer());
  const entries = await readZipFiles(zip, (deflated) => inflate(deflated), MAX_EXPORT_BYTES);
  const files = readExportFiles(entries);
  const { manifest } = files;
  // The manifest names the model file and its SHA-1; a TF.js export's manifest names a file the zip does
  // not hold (its model is model.json and weights), so there is nothing to check it against.
  const named = [...entries].find(([name]) => path.posix.basename(name) === manifest?.modelFileName)?.[1];
  if (manifest?.modelFileSha1 && named && toHex(sha1(named)) !== manifest.modelFileSha1.toLowerCase()) {
    throw new ExportFetchError(
      "The downloaded model's SHA-1 does not match the export's manifest: the download is damaged, so it was not kept; it is fetched again at the next start.",
    );
  }
  recogniseExport(files);
  await mkdir(folder, { recursive: true });
  const partial = `${target}.partial`;
  await writeFile(partial, zip);
  await rename(partial, target);
  onProgress(`export of iteration ${iteration.id} saved as ${target}`);
  return target;
}
