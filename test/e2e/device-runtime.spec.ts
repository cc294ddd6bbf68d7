// The browser's runtime for exported models, driven directly in Chromium (the app's own device-model
// module, from the built app, on the app's origin): the real classifier export gives its reference
// figures within 1e-6 (on WebAssembly, and on WebGPU with Chromium's software adapter), and the real
// YOLO-style topology runs end to end with generated weights.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, expect, test, type Browser, type Page, type Worker } from '@playwright/test';
import { readExportSource } from '../../server/model-export/read-export.ts';
import { exportFixture, TINY_CLASSIFIER, zipFiles, type FixtureName } from '../fixtures/exports/generate.ts';
import { spawnServer, type SpawnedServer } from '../support/spawn-server.ts';
import { findChromium } from './support/find-chromium.ts';
import { BASE_ARGS } from './support/live-page.ts';

const ROOT = path.join(import.meta.dirname, '../..');
const REFERENCE_INPUTS = path.join(ROOT, 'test/fixtures/exports/reference-inputs');
const REFERENCE: Record<string, Record<string, number>> = {
  'chelsea-227.png': { controller: 8.9407e-8, keyboard: 0, laptop: 8.6397e-5, monitor: 0, mouse: 7.9903e-4 },
  'coffee-227.png': {
    controller: 9.3013e-5,
    keyboard: 0,
    laptop: 1.1921e-7,
    monitor: 3.5775e-4,
    mouse: 4.6194e-6,
  },
};

/** The built device-model chunk (its name carries a hash). */
function deviceModelChunk(): string {
  const name = readdirSync(path.join(ROOT, 'dist/assets')).find((file) => /^device-model-.*\.js$/.test(file));
  if (!name) throw new Error('dist/ has no device-model chunk: run `npx vite build` first');
  return `/assets/${name}`;
}

interface DeviceAnswer {
  backend: string;
  /** e.g. "SIMD true, threads 2", and the logical CPUs the page sees. */
  wasmFeatures: string | undefined;
  cpus: number;
  predictions: { tagName: string; tagId: string; probability: number; boundingBox?: unknown }[];
}

/** Loads the served export in the page's inference worker on `backend`, and runs it on each picture. */
function runOnDevice(page: Page, backend: string | undefined, pictures: number[][]): Promise<DeviceAnswer[]> {
  return page.evaluate(
    async ({ chunk, backend, pictures }) => {
      type Model = {
        info: { backend: string; wasmFeatures?: string };
        send(
          path: string,
          image: ArrayBuffer,
          options: { signal: AbortSignal },
        ): Promise<{
          ok: boolean;
          prediction?: {
            predictions: { tagName: string; tagId: string; probability: number; boundingBox?: unknown }[];
          };
          failure?: { message: string };
        }>;
      };
      const module = (await import(chunk)) as {
        DeviceModel: {
          open(model: { projectId: string; publishedName: string }, backend?: string): Promise<Model>;
        };
      };
      // The served model, by the names /api/config gives it (its package is asked for by them).
      const config = (await (await fetch('/api/config')).json()) as {
        models: { projectId: string; publishedName: string }[];
      };
      const model = await module.DeviceModel.open(config.models[0]!, backend);
      const answers = [];
      for (const picture of pictures) {
        const outcome = await model.send('', Uint8Array.from(picture).buffer, {
          signal: new AbortController().signal,
        });
        if (!outcome.ok) throw new Error(outcome.failure?.message);
        answers.push({
          backend: model.info.backend,
          wasmFeatures: model.info.wasmFeatures,
          cpus: (globalThis as unknown as { navigator: { hardwareConcurrency: number } }).navigator
            .hardwareConcurrency,
          predictions: outcome.prediction!.predictions,
        });
      }
      return answers;
    },
    { chunk: deviceModelChunk(), backend, pictures },
  );
}

async function withServedExport(
  fixture: FixtureName | { file: string },
  run: (page: Page) => Promise<void>,
  browserArgs: readonly string[] = [],
): Promise<void> {
  let server: SpawnedServer | undefined;
  let browser: Browser | undefined;
  try {
    const file = typeof fixture === 'string' ? exportFixture(fixture) : fixture.file;
    server = await spawnServer({ CUSTOM_VISION_EXPORT: file, EXPORT_WORKERS: '1' });
    browser = await chromium.launch({ executablePath: findChromium(), args: [...BASE_ARGS, ...browserArgs] });
    const page = await (await browser.newContext()).newPage();
    await page.goto(server.url);
    await run(page);
  } finally {
    await browser?.close();
    await server?.stop();
  }
}

/** The reference probabilities, each within `tolerance`. */
function expectReference(answers: DeviceAnswer[], tolerance: number): void {
  const files = Object.keys(REFERENCE);
  answers.forEach((answer, index) => {
    const byName = new Map(
      answer.predictions.map((prediction) => [prediction.tagName, prediction.probability]),
    );
    for (const [tag, probability] of Object.entries(REFERENCE[files[index]!]!)) {
      expect(Math.abs(byName.get(tag)! - probability), `${files[index]} ${tag}`).toBeLessThan(tolerance);
    }
  });
}

const referencePictures = (): number[][] =>
  Object.keys(REFERENCE).map((file) => [...readFileSync(path.join(REFERENCE_INPUTS, file))]);

for (const [fixture, backend] of [
  ['computer-classifier-tfjs', 'wasm'],
  ['computer-classifier-onnx', 'onnxruntime-web wasm'],
] as const) {
  test(`the real classifier export (${fixture}) gives the reference probabilities in the browser, within 1e-6`, async () => {
    test.setTimeout(120_000);
    await withServedExport(fixture, async (page) => {
      const workers: Worker[] = [];
      page.on('worker', (worker) => workers.push(worker));
      const answers = await runOnDevice(page, 'wasm', referencePictures());
      for (const answer of answers) {
        expect(answer.backend).toBe(backend);
        // The page is cross-origin isolated, so both runtimes run threads, one per logical CPU.
        expect(answer.cpus).toBeGreaterThan(1);
        expect(answer.wasmFeatures).toBe(`SIMD true, threads ${String(answer.cpus)}`);
      }
      expectReference(answers, 1e-6);
      if (backend === 'wasm') {
        // TensorFlow.js's thread workers start from this origin's files (not blob:s, which break once the
        // runtime is bundled and minified) and each loads the threaded runtime.
        const threads = workers.filter((worker) =>
          /\/assets\/tfjs-backend-wasm-thread\.worker-[\w-]+\.js$/.test(worker.url()),
        );
        expect(threads.length).toBeGreaterThan(0);
        await expect
          .poll(() =>
            threads[0]!.evaluate(
              () =>
                typeof (globalThis as { WasmBackendModuleThreadedSimd?: unknown })
                  .WasmBackendModuleThreadedSimd,
            ),
          )
          .toBe('function');
      }
    });
  });
}

test('WebGPU, on the software adapter of Chromium: the real classifier export runs there when asked for, and the automatic choice passes it by', async () => {
  test.setTimeout(180_000);
  // --enable-unsafe-webgpu gives headless Chromium a WebGPU adapter on SwiftShader (no GPU here).
  await withServedExport(
    'computer-classifier-tfjs',
    async (page) => {
      const [first, ...rest] = await runOnDevice(page, 'webgpu', referencePictures());
      expect(first!.backend).toBe('webgpu');
      expect(first!.wasmFeatures).toBeUndefined();
      expectReference([first!, ...rest], 1e-6);
      const other = await page.context().newPage();
      await other.goto(page.url());
      const [chosen] = await runOnDevice(other, undefined, referencePictures().slice(0, 1));
      // A software adapter is many times slower than WebAssembly, as software WebGL is.
      expect(chosen!.backend).toBe('wasm');
    },
    ['--enable-unsafe-webgpu'],
  );
});

test('the real YOLO-style topology runs end to end in the browser with generated weights', async () => {
  test.setTimeout(180_000);
  await withServedExport('yolo-detector-tfjs', async (page) => {
    const photo = [...readFileSync(path.join(ROOT, 'test/fixtures/coffee.jpg'))];
    const [answer] = await runOnDevice(page, 'wasm', [photo]);
    expect(answer!.predictions.length).toBeGreaterThan(0);
    for (const prediction of answer!.predictions) expect(prediction.boundingBox).toBeDefined();
  });
});

test('tiny ONNX detectors in the browser: the [S1]-style one as the model gives it, the YOLO-style one decoded to the reference boxes', async () => {
  test.setTimeout(120_000);
  const photo = [...readFileSync(path.join(ROOT, 'test/fixtures/coffee.jpg'))];
  await withServedExport('tiny-s1-detector-onnx', async (page) => {
    const [answer] = await runOnDevice(page, 'wasm', [photo]);
    // Scores 0.9 (class 1) and 0.6 (class 0) above the device's 0.01 floor, 0.05 too; boxes clipped.
    expect(
      answer!.predictions.map((prediction) => [prediction.tagName, Math.round(prediction.probability * 100)]),
    ).toEqual([
      ['dog', 90],
      ['cat', 60],
      ['dog', 5],
    ]);
    // float32 values: within 1e-6 of the model's (0.6, 0.7) to (1.1, 1.05), cut at the picture's edge.
    const box = answer!.predictions[1]!.boundingBox as Record<string, number>;
    for (const [side, value] of Object.entries({ left: 0.6, top: 0.7, width: 0.4, height: 0.3 })) {
      expect(Math.abs(box[side]! - value)).toBeLessThan(1e-6);
    }
  });
  await withServedExport('tiny-yolo-detector-onnx', async (page) => {
    const [answer] = await runOnDevice(page, 'wasm', [photo]);
    const top = answer!.predictions[0]! as {
      tagName: string;
      probability: number;
      boundingBox: { left: number; top: number; width: number; height: number };
    };
    expect(top.tagName).toBe('third');
    expect(top.probability).toBeCloseTo(0.9208, 4);
    expect([top.boundingBox.left, top.boundingBox.top].map((value) => value.toFixed(4))).toEqual([
      '0.2466',
      '0.1867',
    ]);
    expect(top.boundingBox.top + top.boundingBox.height).toBeCloseTo(1, 6);
  });
});

test('an export the server added its tag ids to (sightline-ids.json) is answered on the device with those ids', async () => {
  test.setTimeout(120_000);
  const ids = {
    ProjectId: '0a0a0a0a-1111-4222-8333-444455556666',
    IterationId: '0b0b0b0b-1111-4222-8333-444455556666',
    TagIds: TINY_CLASSIFIER.labels.map((_, index) => `0c0c0c0c-1111-4222-8333-44445555666${String(index)}`),
  };
  const exported = await readExportSource(exportFixture('tiny-classifier-softmax-tfjs'));
  exported.set('sightline-ids.json', Buffer.from(JSON.stringify(ids)));
  const folder = mkdtempSync(path.join(os.tmpdir(), 'sightline-ids-'));
  const file = path.join(folder, 'export.zip');
  writeFileSync(file, zipFiles(Object.fromEntries(exported)));
  try {
    await withServedExport({ file }, async (page) => {
      const photo = [...readFileSync(path.join(ROOT, 'test/fixtures/coffee.jpg'))];
      const [answer] = await runOnDevice(page, 'wasm', [photo]);
      expect(answer!.predictions.length).toBe(TINY_CLASSIFIER.labels.length);
      for (const prediction of answer!.predictions) {
        const index = TINY_CLASSIFIER.labels.indexOf(prediction.tagName as 'red');
        expect(prediction.tagId).toBe(ids.TagIds[index]);
      }
    });
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});
