// With the Training API configured, an export server fetches the published iteration's export itself
// (export, poll, download, SHA-1 check) and answers with the project's own tag ids; tested against the
// fake training service.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, copyFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApiKeyCredentials } from '@azure/ms-rest-js';
import { PredictionAPIClient } from '@azure/cognitiveservices-customvision-prediction';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { promisify } from 'node:util';
import { inflateRaw } from 'node:zlib';
import { readExportSource } from '../../server/model-export/read-export.ts';
import { readExportFiles } from '../../src/shared/model-export/export-files.ts';
import { readZipFiles } from '../../src/shared/model-export/zip.ts';
import { exportFixture, zipFiles } from '../fixtures/exports/generate.ts';
import { startFakeTraining, type FakeTraining } from '../support/fake-custom-vision-training.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

const inflate = promisify(inflateRaw);

const COFFEE_227 = readFileSync(
  path.join(import.meta.dirname, '../fixtures/exports/reference-inputs/coffee-227.png'),
);
const PUBLISHED = 'computers';

let fake: FakeTraining;
let folder: string;
let server: TestServer | undefined;
const cloudTags = new Map<string, string>();

async function trainingCall(method: string, route: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${fake.url}/customvision/v3.3/training/projects/${fake.projectId}${route}`, {
    method,
    headers: { 'Training-Key': fake.key },
  });
  expect(response.ok).toBe(true);
  return response.status === 204 ? {} : ((await response.json()) as Record<string, unknown>);
}

beforeEach(async () => {
  fake = await startFakeTraining({ classification: 'Multilabel' });
  folder = mkdtempSync(path.join(os.tmpdir(), 'sightline-fetched-'));
  cloudTags.clear();
  for (const name of ['monitor', 'mouse'])
    cloudTags.set(name, (await trainingCall('POST', `/tags?name=${name}`))['id'] as string);
  const iteration = await trainingCall('POST', '/train');
  await trainingCall(
    'POST',
    `/iterations/${String(iteration['id'])}/publish?publishName=${PUBLISHED}&predictionId=x`,
  );
  fake.exportPollsUntilDone = 2;
});

afterEach(async () => {
  await server?.close();
  server = undefined;
  await fake.close();
  rmSync(folder, { recursive: true, force: true });
});

const env = () => ({
  CUSTOM_VISION_EXPORT: folder,
  CUSTOM_VISION_TRAINING_ENDPOINT: fake.url,
  CUSTOM_VISION_TRAINING_KEY: fake.key,
  CUSTOM_VISION_PROJECT_ID: fake.projectId,
  CUSTOM_VISION_PUBLISHED_NAME: PUBLISHED,
  EXPORT_WORKERS: '1',
});

describe('fetching the published iteration export', () => {
  it('exports, polls, downloads (without the training key) and serves it with the cloud tag ids', async () => {
    fake.exportArchive = readFileSync(exportFixture('computer-classifier-onnx'));
    server = await startTestServer(env());
    const iterationId = fake.published!.iterationId;
    expect(readdirSync(folder)).toEqual([`${iterationId}.zip`]);
    const exportRequests = fake.requests.filter((request) =>
      request.path.endsWith(`/iterations/${iterationId}/export`),
    );
    expect(
      exportRequests
        .filter((request) => request.method === 'POST')
        .map((request) => request.query.get('platform')),
    ).toEqual(['ONNX']);
    expect(exportRequests.filter((request) => request.method === 'GET').length).toBeGreaterThanOrEqual(3);
    const download = fake.requests.find((request) => request.path.startsWith('/downloads/'))!;
    expect(download.headers['training-key']).toBeUndefined();

    const client = new PredictionAPIClient(
      new ApiKeyCredentials({ inHeader: { 'Prediction-key': 'unused' } }),
      server.url,
    );
    // The tag ids arrive from the Training API just after the start.
    await expect
      .poll(async () => {
        const answer = await client.classifyImageWithNoStore(fake.projectId, PUBLISHED, COFFEE_227);
        return answer.predictions!.find((prediction) => prediction.tagName === 'monitor')?.tagId;
      })
      .toBe(cloudTags.get('monitor'));
    const answer = await client.classifyImageWithNoStore(fake.projectId, PUBLISHED, COFFEE_227);
    expect(answer.predictions!.find((prediction) => prediction.tagName === 'mouse')?.tagId).toBe(
      cloudTags.get('mouse'),
    );
    // Labels the cloud has no tag for keep ids of their own.
    expect(answer.predictions!.find((prediction) => prediction.tagName === 'laptop')?.tagId).toMatch(
      /^[0-9a-f-]{36}$/,
    );

    // Devices get the export with the same ids, so their answers carry the cloud's tag ids too.
    const packaged = await fetch(`${server.url}/api/model-package`);
    const files = readExportFiles(
      await readZipFiles(new Uint8Array(await packaged.arrayBuffer()), (deflated) => inflate(deflated), 1e9),
    );
    expect(files.servedIds?.projectId).toBe(fake.projectId);
    expect(files.servedIds?.iterationId).toBe(answer.iteration);
    const byLabel = new Map(files.labels.map((label, index) => [label, files.servedIds?.tagIds[index]]));
    for (const prediction of answer.predictions!) {
      expect(byLabel.get(prediction.tagName!)).toBe(prediction.tagId);
    }
    expect(byLabel.get('mouse')).toBe(cloudTags.get('mouse'));
  });

  it('keeps no download whose model does not match the SHA-1 in its manifest, and serves what the folder had', async () => {
    const files = await readExportSource(exportFixture('computer-classifier-onnx'));
    const model = Buffer.from(files.get('Computer.onnx')!);
    model.writeUInt8(model.readUInt8(model.length - 1) ^ 0xff, model.length - 1);
    fake.exportArchive = zipFiles({ ...Object.fromEntries(files), 'Computer.onnx': model });
    copyFileSync(exportFixture('tiny-classifier-mean-outside-onnx'), path.join(folder, 'older.zip'));
    server = await startTestServer(env());
    expect(readdirSync(folder)).toEqual(['older.zip']);
    expect(server.logs.join('\n')).toContain("SHA-1 does not match the export's manifest");
    const config = (await (await fetch(`${server.url}/api/config`)).json()) as {
      models: { tags: string[] }[];
    };
    expect(config.models[0]!.tags).toEqual(['blue', 'green', 'red']);
    expect(existsSync(path.join(folder, `${fake.published!.iterationId}.zip.partial`))).toBe(false);
  });
});

describe('a newly published iteration', () => {
  it('is fetched and served without a restart in place of the previous one, the others of the folder kept', async () => {
    fake.exportArchive = readFileSync(exportFixture('tiny-classifier-mean-outside-onnx'));
    // A team's own export beside the fetched ones: served too, under its own names, whatever is fetched.
    copyFileSync(exportFixture('tiny-yolo-detector-onnx'), path.join(folder, 'own.zip'));
    server = await startTestServer({ ...env(), EXPORT_REFRESH_SECONDS: '1' });
    const models = async () =>
      (
        (await (await fetch(`${server!.url}/api/config`)).json()) as {
          models: { projectId: string; publishedName: string; tags: string[] }[];
        }
      ).models;
    const tags = async () => (await models())[0]!.tags;
    expect(await tags()).toEqual(['blue', 'green', 'red']);
    const own = (await models())[1]!;
    expect(own).toMatchObject({ publishedName: 'own', tags: ['first', 'second', 'third'] });
    expect((await models()).length).toBe(2);

    const first = fake.published!.iterationId;
    await trainingCall('DELETE', `/iterations/${first}/publish`);
    const second = await trainingCall('POST', '/train');
    await trainingCall(
      'POST',
      `/iterations/${String(second['id'])}/publish?publishName=${PUBLISHED}&predictionId=x`,
    );
    fake.exportArchive = readFileSync(exportFixture('computer-classifier-onnx'));

    await expect
      .poll(tags, { timeout: 30_000 })
      .toEqual(['controller', 'keyboard', 'laptop', 'monitor', 'mouse']);
    expect(readdirSync(folder).sort()).toEqual(
      [`${first}.zip`, `${String(second['id'])}.zip`, 'own.zip'].sort(),
    );
    // The earlier fetch is no longer served; the folder's own export still is.
    expect((await models()).map((model) => model.publishedName)).toEqual([PUBLISHED, 'own']);
    expect((await models())[1]).toEqual(own);
    const client = new PredictionAPIClient(
      new ApiKeyCredentials({ inHeader: { 'Prediction-key': 'unused' } }),
      server.url,
    );
    const answer = await client.classifyImageWithNoStore(fake.projectId, PUBLISHED, COFFEE_227);
    expect(answer.predictions![0]!.tagName).toBe('monitor');

    // After a restart the same: the earlier fetch stays replaced, not served under a name of its own.
    await server.close();
    server = await startTestServer(env());
    expect((await models()).map((model) => model.publishedName)).toEqual([PUBLISHED, 'own']);
    expect(await tags()).toEqual(['controller', 'keyboard', 'laptop', 'monitor', 'mouse']);
    expect(server.logs.join('\n')).toContain(`not served: an earlier fetch`);
  });
});
