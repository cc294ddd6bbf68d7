// npm run bench:local-training: classification training in the local training store, on the committed
// local-training photos (birds, flowers, fruit; every fourth held out).
//
// 1. Feature extraction per image in a detector worker: the training vectors (the image and its three
//    augmented views) and a single vector (what a prediction computes), beside a detection of the same image.
// 2. Training time once the features exist: the real training worker on 100 and 1,000 images. The photo set
//    has 85, so the larger sets repeat its real vectors (each copy nudged by tiny noise). Target: 100 images
//    in under 10 s. Meanwhile, the main thread's event-loop delay: training must not hold it up.
// 3. Through the server (HTTP, the official routes): train the photo project, publish, then classify each
//    held-out photo and detect objects in it with the local detector, alternately, one request at a time.
//    Target: a classification within 10 % of a detection's time. Accuracy on the held-out photos.
//
// 0. Which feature vector separates the classes best: candidate nodes of the CenterNet graph, each
//    averaged over the picture (the class heat maps: their maximum), compared by leave-one-out
//    nearest-centroid accuracy on all the photos. The server uses FEATURES_NODE.
//
// Prints tables, then one JSON line with the figures.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs-core';
import {
  decodeToModelInput,
  FEATURES_NODE,
  INPUT_NODE,
  loadCenterNetGraph,
  CENTERNET_INPUT_SIZE,
} from '../server/detector/centernet.ts';
import { DetectorPool } from '../server/detector/pool.ts';
import { trainInWorker } from '../server/training-store/trainer.ts';
import type { TrainingJobInput } from '../server/training-store/training-job.ts';
import { LOCAL_PROJECT_ID, LOCAL_PUBLISHED_NAME } from '../server/upstreams/local.ts';
import { PHOTO_CLASSES, splitPhotos, type Photo } from '../test/support/local-training-photos.ts';
import { startTestServer } from '../test/support/test-server.ts';
import { print, printTable, progress } from './lib/report.ts';
import { median, round } from './lib/stats.ts';

const BASE = '/customvision/v3.3/training';
const TARGET_TRAIN_100_MS = 10_000;
const TARGET_PREDICTION_RATIO = 1.1;
const NEVER = new AbortController().signal;

/** Candidate feature nodes: the chosen one, the backbone's other outputs, and the detection head's. */
const CANDIDATES: readonly { name: string; node: string; pool: 'mean' | 'max' }[] = [
  { name: 'backbone last block, squeeze-excite average (chosen)', node: FEATURES_NODE, pool: 'mean' },
  { name: 'backbone output (extern1)', node: 'tower_0/extern1/hard_swish/mul_1', pool: 'mean' },
  { name: 'backbone last block output', node: 'tower_0/MobilenetV3/expanded_conv_14/add', pool: 'mean' },
  { name: 'detection head, pooled', node: 'tower_0/CenternetHead/Mean', pool: 'mean' },
  {
    name: 'detection head, 80 class maps (max)',
    node: 'tower_0/CenternetHead/centernet_cls_output/BiasAdd',
    pool: 'max',
  },
];

const unitLength = (vector: Float32Array) => {
  const norm = Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0)) || 1;
  return vector.map((value) => value / norm);
};

/** Leave-one-out nearest-centroid accuracy (cosine) of each candidate node on the photos. */
async function compareFeatureNodes(photos: readonly Photo[]) {
  const model = await loadCenterNetGraph();
  const vectors = CANDIDATES.map(() => [] as Float32Array[]);
  for (const photo of photos) {
    const input = tf.tensor4d(Float32Array.from((await decodeToModelInput(photo.bytes)).rgb), [
      1,
      CENTERNET_INPUT_SIZE,
      CENTERNET_INPUT_SIZE,
      3,
    ]);
    const outputs = model.execute(
      { [INPUT_NODE]: input },
      CANDIDATES.map((c) => c.node),
    ) as tf.Tensor[];
    for (const [i, output] of outputs.entries()) {
      const pooled = CANDIDATES[i]!.pool === 'max' ? tf.max(output, [1, 2]) : tf.mean(output, [1, 2]);
      vectors[i]!.push(unitLength((await pooled.data()) as Float32Array));
      pooled.dispose();
      output.dispose();
    }
    input.dispose();
  }
  model.dispose();
  return CANDIDATES.map((candidate, i) => {
    const all = vectors[i]!;
    let right = 0;
    for (const [left, held] of all.entries()) {
      const centroids = PHOTO_CLASSES.map(() => new Float32Array(held.length));
      all.forEach((vector, j) => {
        if (j === left) return;
        const centroid = centroids[PHOTO_CLASSES.indexOf(photos[j]!.label)]!;
        for (let d = 0; d < vector.length; d++) centroid[d]! += vector[d]!;
      });
      const scores = centroids.map((centroid) =>
        unitLength(centroid).reduce((sum, value, d) => sum + value * held[d]!, 0),
      );
      if (PHOTO_CLASSES[scores.indexOf(Math.max(...scores))] === photos[left]!.label) right++;
    }
    return { name: candidate.name, length: all[0]!.length, accuracy: right / all.length };
  });
}

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await work();
  return [result, performance.now() - started];
}

/** Feature and detection times per photo in one detector worker; the photos' training vectors. */
async function measureExtraction(photos: readonly Photo[]) {
  const pool = new DetectorPool({
    workers: 1,
    queueLimit: 4,
    minProbability: 0.15,
    maxDetections: 20,
    iouThreshold: 0.5,
  });
  await pool.start();
  const views: number[] = [];
  const single: number[] = [];
  const detect: number[] = [];
  const vectors = new Map<Photo, Float32Array[]>();
  try {
    for (const [index, photo] of photos.entries()) {
      const [result, viewsMs] = await timed(() =>
        pool.features(Buffer.from(photo.bytes), NEVER, 'feature-views'),
      );
      const length = result.vectors.length / result.views;
      vectors.set(
        photo,
        Array.from({ length: result.views }, (_, v) => result.vectors.slice(v * length, (v + 1) * length)),
      );
      views.push(viewsMs);
      single.push((await timed(() => pool.features(Buffer.from(photo.bytes), NEVER, 'features')))[1]);
      detect.push((await timed(() => pool.detect(Buffer.from(photo.bytes), NEVER)))[1]);
      if (index % 20 === 19) progress(`features: ${index + 1} of ${photos.length} photos`);
    }
  } finally {
    await pool.close();
  }
  return { viewsMs: median(views), singleMs: median(single), detectMs: median(detect), vectors };
}

/** `count` training examples cycling through the photos' real vectors, copies nudged by tiny noise. */
function examplesOf(count: number, photos: readonly Photo[], vectors: Map<Photo, Float32Array[]>) {
  let seed = 1;
  const noise = () => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 1e-3;
  return Array.from({ length: count }, (_, i) => {
    const photo = photos[i % photos.length]!;
    const copy = i >= photos.length;
    return {
      imageId: `image-${String(i).padStart(5, '0')}`,
      tags: [PHOTO_CLASSES.indexOf(photo.label)],
      vectors: vectors.get(photo)!.map((vector) => (copy ? vector.map((value) => value + noise()) : vector)),
    };
  });
}

async function trainingTime(input: TrainingJobInput): Promise<number> {
  return (await timed(() => trainInWorker(input)))[1];
}

async function json<T>(url: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(url, init);
  const text = await res.text();
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${url}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

/** Trains and publishes the photo project through the server; times classify against detect. */
async function throughServer(training: readonly Photo[], heldOut: readonly Photo[]) {
  const server = await startTestServer({ PER_CLIENT_TPS: '1000' });
  try {
    const url = server.url;
    const project = await json<{ id: string }>(`${url}${BASE}/projects?name=bench`, { method: 'POST' });
    for (const label of PHOTO_CLASSES) {
      const tag = await json<{ id: string }>(`${url}${BASE}/projects/${project.id}/tags?name=${label}`, {
        method: 'POST',
      });
      await json(`${url}${BASE}/projects/${project.id}/images/files`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          tagIds: [tag.id],
          images: training
            .filter((photo) => photo.label === label)
            .map((photo) => ({ name: photo.name, contents: photo.bytes.toString('base64') })),
        }),
      });
    }
    const trainUntilDone = async () => {
      const started = performance.now();
      const iteration = await json<{ id: string }>(`${url}${BASE}/projects/${project.id}/train`, {
        method: 'POST',
      });
      for (;;) {
        const now = await json<{ id: string; status: string; trainingErrorDetails?: string }>(
          `${url}${BASE}/projects/${project.id}/iterations/${iteration.id}`,
        );
        if (now.status === 'Completed') return { id: now.id, ms: performance.now() - started };
        if (now.status !== 'Training')
          throw new Error(`Training ended ${now.status}: ${now.trainingErrorDetails}`);
        await new Promise((resolve) => setTimeout(resolve, 50)); // polling interval
      }
    };
    progress('training through the server (computing the photos’ features first)...');
    const first = await trainUntilDone();
    progress('training again, the features now kept...');
    const second = await trainUntilDone();
    await json(
      `${url}${BASE}/projects/${project.id}/iterations/${second.id}/publish?publishName=bench&predictionId=local`,
      { method: 'POST' },
    );
    const post = (path: string, photo: Photo) =>
      timed(async () => {
        const res = await fetch(`${url}/customvision/v3.0/prediction/${path}/image/nostore`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/octet-stream' },
          body: photo.bytes,
        });
        if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
        return (await res.json()) as { predictions: { tagName: string }[] };
      });
    const classifyMs: number[] = [];
    const detectMs: number[] = [];
    let correct = 0;
    // Two rounds, each alternating the two, so neither has the warmer machine.
    for (let round = 0; round < 2; round++) {
      for (const photo of heldOut) {
        const [answer, ms] = await post(`${project.id}/classify/iterations/bench`, photo);
        classifyMs.push(ms);
        if (round === 0 && answer.predictions[0]?.tagName === photo.label) correct++;
        detectMs.push(
          (await post(`${LOCAL_PROJECT_ID}/detect/iterations/${LOCAL_PUBLISHED_NAME}`, photo))[1],
        );
      }
    }
    return {
      firstTrainMs: first.ms,
      keptFeaturesTrainMs: second.ms,
      classifyMs: median(classifyMs),
      detectMs: median(detectMs),
      accuracy: correct / heldOut.length,
    };
  } finally {
    await server.close();
  }
}

const { training, heldOut } = splitPhotos();
const all = [...training, ...heldOut];
progress('comparing candidate feature nodes...');
const nodes = await compareFeatureNodes(all);
progress(`computing features of ${all.length} photos in one detector worker...`);
const extraction = await measureExtraction(all);
progress('training on 100 and 1,000 images in the training worker...');
const train100 = await trainingTime({
  examples: examplesOf(100, all, extraction.vectors),
  tagCount: 3,
  multilabel: false,
});
// The event loop's delay while the 1,000 images train: the training worker must leave it free.
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
const train1000 = await trainingTime({
  examples: examplesOf(1000, all, extraction.vectors),
  tagCount: 3,
  multilabel: false,
});
loopDelay.disable();
const loopDelayMaxMs = loopDelay.max / 1e6;
const loopDelayP99Ms = loopDelay.percentile(99) / 1e6;
const served = await throughServer(training, heldOut);

printTable(
  'Feature extraction per image (one detector worker, median)',
  ['what', 'ms'],
  [
    ['training vectors (image + 3 augmented views)', round(extraction.viewsMs, 1)],
    ['one vector (a prediction)', round(extraction.singleMs, 1)],
    ['a detection, for comparison', round(extraction.detectMs, 1)],
  ],
);
printTable(
  'Training once features exist (training worker, wall clock)',
  ['images', 'ms', 'target ms'],
  [
    ['100', round(train100, 0), TARGET_TRAIN_100_MS],
    ['1,000', round(train1000, 0), null],
    [
      'event loop delay meanwhile, p99 / max',
      `${round(loopDelayP99Ms, 1)} / ${round(loopDelayMaxMs, 1)}`,
      null,
    ],
    [`${training.length} through the server (features kept)`, round(served.keptFeaturesTrainMs, 0), null],
    [`${training.length} through the server (features computed first)`, round(served.firstTrainMs, 0), null],
  ],
);
const ratio = served.classifyMs / served.detectMs;
printTable(
  'Predictions through the server (one at a time, median)',
  ['route', 'ms'],
  [
    ['classify (published local classifier)', round(served.classifyMs, 1)],
    ['detect (local detector)', round(served.detectMs, 1)],
    ['classify / detect', round(ratio, 3)],
  ],
);
print();
print(
  `Accuracy on ${heldOut.length} held-out photos: ${round(served.accuracy * 100, 1)} % (chance 33 %). ` +
    `Targets: 100 images train in < ${TARGET_TRAIN_100_MS / 1000} s: ${train100 < TARGET_TRAIN_100_MS ? 'met' : 'MISSED'}; ` +
    `classify within ${round((TARGET_PREDICTION_RATIO - 1) * 100, 0)} % of detect: ${ratio <= TARGET_PREDICTION_RATIO ? 'met' : 'MISSED'}.`,
);
print(
  JSON.stringify({
    featureViewsMs: round(extraction.viewsMs, 1),
    featureMs: round(extraction.singleMs, 1),
    detectModelMs: round(extraction.detectMs, 1),
    train100Ms: round(train100, 0),
    train1000Ms: round(train1000, 0),
    loopDelayWhileTrainingP99Ms: round(loopDelayP99Ms, 1),
    loopDelayWhileTrainingMaxMs: round(loopDelayMaxMs, 1),
    trainServerKeptFeaturesMs: round(served.keptFeaturesTrainMs, 0),
    trainServerFirstMs: round(served.firstTrainMs, 0),
    classifyMs: round(served.classifyMs, 1),
    detectMs: round(served.detectMs, 1),
    classifyToDetect: round(ratio, 3),
    heldOutAccuracy: round(served.accuracy, 3),
    heldOut: heldOut.length,
    featureNodeAccuracy: Object.fromEntries(nodes.map((node) => [node.name, round(node.accuracy, 3)])),
  }),
);
