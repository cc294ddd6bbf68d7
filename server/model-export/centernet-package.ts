// The embedded CenterNet detector as a model package for devices: its TF.js graph and weights (from the
// npm package, as the server loads them), the COCO labels, and a sightline-model.json saying what it is
// and the ids the server answers with, so that a device's answers match the server's.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CENTERNET_INPUT_SIZE, INPUT_NODE, centerNetModelDir } from '../detector/centernet.ts';
import { COCO_LABELS } from '../detector/coco-labels.ts';
import { writeZip } from './zip-writer.ts';

/** The detector's own output node, rows of x1, y1, x2, y2 (input pixels), score, class index. */
const DETECTIONS_NODE = 'tower_0/detections';

export interface CenterNetIdentity {
  readonly projectId: string;
  readonly iterationId: string;
  readonly publishedName: string;
  readonly tagIds: readonly string[];
  readonly minProbability: number;
  readonly maxDetections: number;
  readonly iouThreshold: number;
}

export async function centerNetPackage(identity: CenterNetIdentity): Promise<Buffer> {
  const dir = centerNetModelDir();
  const modelJson = await readFile(path.join(dir, 'centernet.json'));
  const manifest = JSON.parse(modelJson.toString('utf8')) as { weightsManifest: { paths: string[] }[] };
  const shards = await Promise.all(
    manifest.weightsManifest
      .flatMap((group) => group.paths)
      .map(async (file) => [file, await readFile(path.join(dir, file))] as const),
  );
  const description = {
    Family: 'CenterNet',
    Input: INPUT_NODE,
    Output: DETECTIONS_NODE,
    InputSize: CENTERNET_INPUT_SIZE,
    ProjectId: identity.projectId,
    IterationId: identity.iterationId,
    PublishedName: identity.publishedName,
    TagIds: identity.tagIds,
    MinProbability: identity.minProbability,
    MaxDetections: identity.maxDetections,
    IouThreshold: identity.iouThreshold,
  };
  // Stored: the weights do not compress.
  return writeZip(
    [
      ['sightline-model.json', Buffer.from(JSON.stringify(description, null, 2))],
      ['labels.txt', Buffer.from(COCO_LABELS.join('\n'))],
      ['model.json', modelJson],
      ...shards,
    ],
    { deflate: false },
  );
}
