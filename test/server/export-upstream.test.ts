// CUSTOM_VISION_EXPORT: a team's exported model served on Custom Vision's prediction routes by the real
// server, reached through the official prediction SDK unchanged.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApiKeyCredentials } from '@azure/ms-rest-js';
import { PredictionAPIClient } from '@azure/cognitiveservices-customvision-prediction';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inflateRawSync } from 'node:zlib';
import { readExportFiles } from '../../src/shared/model-export/export-files.ts';
import { nameUuid } from '../../src/shared/model-export/image-prediction.ts';
import { recogniseExport } from '../../src/shared/model-export/recognise.ts';
import { readZipFiles } from '../../src/shared/model-export/zip.ts';
import { readExportSource } from '../../server/model-export/read-export.ts';
import { exportFixture, zipFiles } from '../fixtures/exports/generate.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

const PHOTO = readFileSync(path.join(import.meta.dirname, '../fixtures/coffee.jpg'));
const COFFEE_227 = readFileSync(
  path.join(import.meta.dirname, '../fixtures/exports/reference-inputs/coffee-227.png'),
);

const sdk = (server: TestServer) =>
  new PredictionAPIClient(
    new ApiKeyCredentials({ inHeader: { 'Prediction-key': 'unused-by-exports' } }),
    server.url,
  );

interface ServedModelInfo {
  projectId: string;
  publishedName: string;
  type: string;
  name: string;
  tags: string[];
  predictionPath: string;
}

async function servedModel(server: TestServer): Promise<ServedModelInfo> {
  const config = (await (await fetch(`${server.url}/api/config`)).json()) as { models: ServedModelInfo[] };
  return config.models[0]!;
}

describe('a YOLO-style ONNX detector export', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      CUSTOM_VISION_EXPORT: exportFixture('tiny-yolo-detector-onnx'),
      EXPORT_WORKERS: '1',
    });
  });
  afterAll(() => server.close());

  it('is served under a project id derived from its iteration and its file name, with its labels', async () => {
    const model = await servedModel(server);
    expect(model.type).toBe('detect');
    expect(model.publishedName).toBe('tiny-yolo-detector-onnx');
    expect(model.projectId).toBe(nameUuid('project:0f8b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d'));
    expect(model.tags).toEqual(['first', 'second', 'third']);
    expect(model.name).toContain('YOLO-style');
  });

  it('answers the official SDK in ImagePrediction shape: boxes clipped to the picture, stable tag ids', async () => {
    const model = await servedModel(server);
    const answer = await sdk(server).detectImageWithNoStore(model.projectId, model.publishedName, PHOTO);
    const top = answer.predictions![0]!;
    expect(top.tagName).toBe('third');
    expect(top.tagId).toBe(nameUuid(`tag:${model.projectId}:third`));
    expect(top.probability).toBeCloseTo(0.9208, 4);
    // The raw box reaches 1.0127 down: cut at the picture's edge.
    expect(top.boundingBox!.top).toBeCloseTo(0.1867, 4);
    expect(top.boundingBox!.top + top.boundingBox!.height).toBeCloseTo(1, 8);
    expect(answer.iteration).toBe('0f8b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d');
    expect(answer.project).toBe(model.projectId);
  });

  it('times its stages in Server-Timing and reports itself in /api/health', async () => {
    const model = await servedModel(server);
    const response = await fetch(`${server.url}${model.predictionPath}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/octet-stream' },
      body: PHOTO,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('server-timing')).toMatch(
      /decode;dur=[\d.]+, model;dur=[\d.]+, postprocess;dur=[\d.]+/,
    );
    const health = (await (await fetch(`${server.url}/api/health`)).json()) as {
      upstream?: { detail?: string };
    } & Record<string, unknown>;
    expect(JSON.stringify(health)).toContain('Exported model ready');
    expect(JSON.stringify(health)).toContain('onnxruntime-node');
  });

  it("refuses a picture it cannot decode with Custom Vision's error", async () => {
    const model = await servedModel(server);
    const response = await fetch(`${server.url}${model.predictionPath}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/octet-stream' },
      body: PHOTO.subarray(0, 2000),
    });
    expect(response.status).toBe(400);
  });
});

describe('the real ONNX classifier export under the project id and published name set', () => {
  let server: TestServer;
  const projectId = '6d1f6c1e-8a4b-4c1e-9f1a-2b3c4d5e6f70';
  beforeAll(async () => {
    server = await startTestServer({
      CUSTOM_VISION_EXPORT: exportFixture('computer-classifier-onnx'),
      CUSTOM_VISION_PROJECT_ID: projectId,
      CUSTOM_VISION_PUBLISHED_NAME: 'computers',
      EXPORT_WORKERS: '1',
    });
  });
  afterAll(() => server.close());

  it('classifies through the SDK with the reference probabilities (within 1e-6), every tag listed', async () => {
    const answer = await sdk(server).classifyImageWithNoStore(projectId, 'computers', COFFEE_227);
    const byName = new Map(
      answer.predictions!.map((prediction) => [prediction.tagName, prediction.probability!]),
    );
    const reference = {
      controller: 9.3013e-5,
      keyboard: 0,
      laptop: 1.1921e-7,
      monitor: 3.5775e-4,
      mouse: 4.6194e-6,
    };
    for (const [tag, probability] of Object.entries(reference))
      expect(Math.abs(byName.get(tag)! - probability)).toBeLessThan(1e-6);
    expect(answer.predictions![0]!.tagName).toBe('monitor');
    expect(answer.predictions![0]!.boundingBox ?? undefined).toBeUndefined();
  });
});

describe('exports the server cannot serve', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-export-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('stops the start with what was found when the export is of a kind Sightline does not run', async () => {
    const zip = path.join(dir, 'lite.zip');
    writeFileSync(
      zip,
      zipFiles({
        'cvexport.manifest': Buffer.from(
          JSON.stringify({ DomainType: 'ObjectDetection', Platform: 'TensorFlow', Flavor: 'TensorFlowLite' }),
        ),
        'labels.txt': Buffer.from('cat\n'),
        'model.tflite': Buffer.from('not a model Sightline runs'),
      }),
    );
    await expect(startTestServer({ CUSTOM_VISION_EXPORT: zip, EXPORT_WORKERS: '1' })).rejects.toThrow(
      /no model Sightline can run .*model\.tflite.*flavor TensorFlowLite/,
    );
  });

  it('says so at start when the path does not exist', async () => {
    await expect(startTestServer({ CUSTOM_VISION_EXPORT: path.join(dir, 'missing.zip') })).rejects.toThrow(
      /does not exist/,
    );
  });
});

describe('a folder of exports, and a full queue', () => {
  let dir: string;
  let server: TestServer;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-exports-'));
    // Two exports of the same model, the later one with a newer date in its manifest: that one comes first.
    const files = await readExportSource(exportFixture('tiny-s1-detector-onnx'));
    const manifest = JSON.parse(Buffer.from(files.get('cvexport.manifest')!).toString('utf8')) as Record<
      string,
      string
    >;
    const withDate = (date: string) =>
      zipFiles({
        ...Object.fromEntries(files),
        'cvexport.manifest': Buffer.from(JSON.stringify({ ...manifest, ExportedDate: date })),
      });
    writeFileSync(path.join(dir, 'iteration-2.zip'), withDate('2026-03-01T00:00:00Z'));
    writeFileSync(path.join(dir, 'iteration-1.zip'), withDate('2026-01-01T00:00:00Z'));
    server = await startTestServer({
      CUSTOM_VISION_EXPORT: dir,
      EXPORT_WORKERS: '1',
      EXPORT_QUEUE_LIMIT: '0',
    });
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists the newest export of the folder first', async () => {
    expect((await servedModel(server)).publishedName).toBe('iteration-2');
  });

  it('answers 429 with Retry-After beyond its one worker and empty queue, never queueing without bound', async () => {
    const model = await servedModel(server);
    const statuses = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const response = await fetch(`${server.url}${model.predictionPath}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/octet-stream' },
          body: PHOTO,
        });
        await response.arrayBuffer();
        return { status: response.status, retryAfter: response.headers.get('retry-after') };
      }),
    );
    expect(statuses.some((answer) => answer.status === 200)).toBe(true);
    const refused = statuses.filter((answer) => answer.status === 429);
    expect(refused.length).toBeGreaterThan(0);
    for (const answer of refused) expect(Number(answer.retryAfter)).toBeGreaterThan(0);
  });
});

/** An export's files with its manifest changed: another iteration, exported on another date. */
async function reissued(fixture: Parameters<typeof exportFixture>[0], changes: Record<string, string>) {
  const files = await readExportSource(exportFixture(fixture));
  const manifest = JSON.parse(Buffer.from(files.get('cvexport.manifest')!).toString('utf8')) as object;
  return zipFiles({
    ...Object.fromEntries(files),
    'cvexport.manifest': Buffer.from(JSON.stringify({ ...manifest, ...changes })),
  });
}

interface CvFailure {
  statusCode?: number;
  code?: string;
}

const failure = (call: Promise<unknown>): Promise<CvFailure> =>
  call.then(
    () => ({ code: 'it succeeded' }),
    (error: unknown) => error as CvFailure,
  );

describe('a folder of two different exports', () => {
  let dir: string;
  let server: TestServer;
  const files = { detector: '', classifier: '' };
  const CLASSIFIER_ITERATION = '5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d';
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-two-exports-'));
    files.detector = path.join(dir, 'boxes.zip');
    files.classifier = path.join(dir, 'colours.zip');
    writeFileSync(files.detector, readFileSync(exportFixture('tiny-yolo-detector-onnx')));
    // Another iteration (so another derived project id), exported later: it is listed first.
    writeFileSync(
      files.classifier,
      await reissued('tiny-classifier-mean-outside-onnx', {
        IterationId: CLASSIFIER_ITERATION,
        ExportedDate: '2026-02-01T00:00:00Z',
      }),
    );
    server = await startTestServer({ CUSTOM_VISION_EXPORT: dir, EXPORT_WORKERS: '2' });
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const models = async () =>
    ((await (await fetch(`${server.url}/api/config`)).json()) as { models: ServedModelInfo[] }).models;

  it('lists both in /api/config, newest first, each under its own project id and file name', async () => {
    const [first, second, ...more] = await models();
    expect(more).toEqual([]);
    expect(first).toMatchObject({
      publishedName: 'colours',
      projectId: nameUuid(`project:${CLASSIFIER_ITERATION}`),
      type: 'classify',
      tags: ['blue', 'green', 'red'],
    });
    expect(second).toMatchObject({
      publishedName: 'boxes',
      projectId: nameUuid('project:0f8b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d'),
      type: 'detect',
      tags: ['first', 'second', 'third'],
    });
  });

  it('answers each through the official SDK under its own ids', async () => {
    const [classifier, detector] = await models();
    const classified = await sdk(server).classifyImageWithNoStore(
      classifier!.projectId,
      classifier!.publishedName,
      PHOTO,
    );
    expect(classified.project).toBe(classifier!.projectId);
    expect(classified.iteration).toBe(CLASSIFIER_ITERATION);
    expect(classified.predictions!.map((prediction) => prediction.tagName).sort()).toEqual([
      'blue',
      'green',
      'red',
    ]);
    const detected = await sdk(server).detectImageWithNoStore(
      detector!.projectId,
      detector!.publishedName,
      PHOTO,
    );
    expect(detected.project).toBe(detector!.projectId);
    expect(detected.predictions![0]!.tagName).toBe('third');
    expect(detected.predictions![0]!.probability).toBeCloseTo(0.9208, 4);
  });

  it('refuses a model it does not serve as it always has: NotFoundProject, NotFoundIteration', async () => {
    const [classifier, detector] = await models();
    expect(
      await failure(
        sdk(server).classifyImageWithNoStore('6d1f6c1e-8a4b-4c1e-9f1a-2b3c4d5e6f70', 'colours', PHOTO),
      ),
    ).toMatchObject({ statusCode: 404, code: 'NotFoundProject' });
    // One export's published name under the other's project is no model either.
    expect(
      await failure(
        sdk(server).detectImageWithNoStore(classifier!.projectId, detector!.publishedName, PHOTO),
      ),
    ).toMatchObject({ statusCode: 404, code: 'NotFoundIteration' });
    const packaged = await fetch(
      `${server.url}/api/model-package?projectId=6d1f6c1e-8a4b-4c1e-9f1a-2b3c4d5e6f70&publishedName=colours`,
    );
    expect(packaged.status).toBe(404);
    expect(await packaged.json()).toMatchObject({ code: 'NotFoundProject' });
  });

  it('hands each model package out by its names, the first one when none is named', async () => {
    const [classifier, detector] = await models();
    const packageOf = async (query: string) =>
      Buffer.from(await (await fetch(`${server.url}/api/model-package${query}`)).arrayBuffer());
    const named = (model: ServedModelInfo) =>
      `?projectId=${model.projectId}&publishedName=${encodeURIComponent(model.publishedName)}`;
    expect((await packageOf(named(detector!))).equals(readFileSync(files.detector))).toBe(true);
    expect((await packageOf(named(classifier!))).equals(readFileSync(files.classifier))).toBe(true);
    expect((await packageOf('')).equals(readFileSync(files.classifier))).toBe(true);
  });

  it('shares EXPORT_WORKERS between them and reports each in /api/health', async () => {
    const health = (await (await fetch(`${server.url}/api/health`)).json()) as {
      ready: boolean;
      upstream: { workers: number; models: { publishedName: string; workers: number; ready: boolean }[] };
    };
    expect(health.ready).toBe(true);
    expect(health.upstream.workers).toBe(2);
    expect(
      health.upstream.models.map(({ publishedName, workers, ready }) => ({ publishedName, workers, ready })),
    ).toEqual([
      { publishedName: 'colours', workers: 1, ready: true },
      { publishedName: 'boxes', workers: 1, ready: true },
    ]);
  });
});

describe('two exports of a folder served under the same names', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-same-names-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('stop the start, naming both files', async () => {
    // The same iteration (so the same derived project id) and the same name but for the case of ".zip".
    writeFileSync(path.join(dir, 'model.zip'), readFileSync(exportFixture('tiny-s1-detector-onnx')));
    writeFileSync(path.join(dir, 'model.ZIP'), readFileSync(exportFixture('tiny-s1-detector-onnx')));
    await expect(startTestServer({ CUSTOM_VISION_EXPORT: dir, EXPORT_WORKERS: '1' })).rejects.toThrow(
      /model\.(zip|ZIP) and model\.(zip|ZIP) would both be served as project [0-9a-f-]{36}, published name "model"/,
    );
  });
});

describe('the model package for devices', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      CUSTOM_VISION_EXPORT: exportFixture('tiny-classifier-softmax-tfjs'),
      EXPORT_WORKERS: '1',
    });
  });
  afterAll(() => server.close());

  it('hands out the served export zip, revalidated by its SHA-1', async () => {
    const response = await fetch(`${server.url}/api/model-package`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/zip');
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(bytes.equals(readFileSync(exportFixture('tiny-classifier-softmax-tfjs')))).toBe(true);
    const etag = response.headers.get('etag')!;
    expect(etag).toBe(`"${createHash('sha1').update(bytes).digest('hex')}"`);
    const again = await fetch(`${server.url}/api/model-package`, { headers: { 'If-None-Match': etag } });
    expect(again.status).toBe(304);
  });
});

describe('the model package of the embedded detector', () => {
  it('is CenterNet packaged for devices, with the ids the server answers with', async () => {
    const server = await startTestServer({ LOCAL_DETECTOR_WORKERS: '1' });
    try {
      const response = await fetch(`${server.url}/api/model-package`);
      expect(response.status).toBe(200);
      const files = await readZipFiles(
        new Uint8Array(await response.arrayBuffer()),
        (bytes) => Promise.resolve(inflateRawSync(bytes)),
        1e9,
      );
      const exported = readExportFiles(files);
      const plan = recogniseExport(exported);
      expect(plan.output).toMatchObject({
        family: 'centernet',
        detections: 'tower_0/detections',
        inputSize: 512,
      });
      expect(plan.labels).toHaveLength(80);
      const model = await servedModel(server);
      expect(exported.sightlinePackage?.projectId).toBe(model.projectId);
      // The device answers with the server's tag ids: the same as a server answer's for the same tag.
      const answer = (await (
        await fetch(`${server.url}${model.predictionPath}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/octet-stream' },
          body: PHOTO,
        })
      ).json()) as { predictions: { tagId: string; tagName: string }[] };
      const cup = answer.predictions.find((prediction) => prediction.tagName === 'cup')!;
      expect(exported.sightlinePackage?.tagIds[plan.labels.indexOf('cup')]).toBe(cup.tagId);
    } finally {
      await server.close();
    }
  });
});
