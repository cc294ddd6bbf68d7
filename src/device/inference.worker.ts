// The dedicated inference worker: an exported Custom Vision model run on the fastest backend the browser
// has: a TensorFlow.js export on WebGPU, then hardware WebGL, then WebAssembly with SIMD; an ONNX export
// on onnxruntime-web's WebAssembly build (loaded only then). Frames arrive as encoded bytes by transfer;
// the page's thread does none of this.
import { expose } from 'comlink';
import * as tf from '@tensorflow/tfjs-core';
import { loadGraphModel, type GraphModel } from '@tensorflow/tfjs-converter';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import wasmUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { decodeClassifications, decodeDetections } from '../shared/model-export/decode.ts';
import { graphModelArtifacts, graphModelRun } from '../shared/model-export/graph-outputs.ts';
import { readExportFiles } from '../shared/model-export/export-files.ts';
import { exportIterationId } from '../shared/model-export/identity.ts';
import { tagIdsFor, toImagePrediction } from '../shared/model-export/image-prediction.ts';
import { sourceRect, toInputTensor } from '../shared/model-export/preprocess.ts';
import { recogniseExport, type ExportPlan } from '../shared/model-export/recognise.ts';
import type { ExportFiles } from '../shared/model-export/export-files.ts';
import { wasmFeatures, wasmThreadCount, type ModelRunner } from './model-runner.ts';
import { readZipFiles } from '../shared/model-export/zip.ts';
import type { InferenceWorkerApi, LoadedModelInfo } from './inference-api.ts';

// The wasm binaries come from this origin (bundled assets), never a CDN.
setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmUrl,
  'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedUrl,
});

// WebAssembly threads where the page is cross-origin isolated (one per logical CPU), one elsewhere. The
// backend's thread workers load files served from this origin (vite.config.ts says why not its blob:s).
setThreadsCount(wasmThreadCount());

const MAX_UNPACKED_BYTES = 512 * 1024 * 1024;

async function inflateRaw(deflated: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([deflated as Uint8Array<ArrayBuffer>])
    .stream()
    .pipeThrough(new DecompressionStream('deflate-raw'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** How a renderer or adapter drawn by the CPU names itself (Chromium's, Mesa's, Windows' fallbacks). */
const SOFTWARE_RENDERER = /swiftshader|llvmpipe|software|basic render/i;

/** The backends to try, fastest first; one that fails to start is skipped. */
const BACKENDS = ['webgpu', 'webgl', 'wasm'] as const;

/**
 * Whether WebGL here is drawn by the CPU (SwiftShader, llvmpipe: no GPU, or a GPU the browser refuses),
 * where it runs models many times slower than WebAssembly: 5 s against 0.2 s a frame measured in headless
 * Chromium for a 320 px detector.
 */
function softwareWebgl(): boolean {
  try {
    const gl = new OffscreenCanvas(1, 1).getContext('webgl2');
    if (!gl) return true;
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
    return SOFTWARE_RENDERER.test(renderer);
  } catch {
    return true;
  }
}

/** What the worker reads of WebGPU's adapter (the DOM library here has no WebGPU types). */
interface GpuAdapterLike {
  readonly isFallbackAdapter?: boolean;
  readonly info?: { readonly vendor?: string; readonly architecture?: string; readonly description?: string };
}

/**
 * Whether WebGPU here has a GPU to run on: no adapter at all, or only a software one (SwiftShader, which
 * Chromium offers when told to, or a "fallback adapter"), is no better than software WebGL.
 */
async function hardwareWebgpu(): Promise<boolean> {
  const gpu = (navigator as { gpu?: { requestAdapter(): Promise<GpuAdapterLike | null> } }).gpu;
  if (!gpu) return false;
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter || adapter.isFallbackAdapter) return false;
    const { vendor = '', architecture = '', description = '' } = adapter.info ?? {};
    return !SOFTWARE_RENDERER.test(`${vendor} ${architecture} ${description}`);
  } catch {
    return false;
  }
}

/**
 * TensorFlow.js's wasm runtime caps its threads at half of `navigator.hardwareConcurrency` (it assumes two
 * hyperthreads a core), read once as the runtime starts: one thread on a machine with two logical CPUs,
 * whatever setThreadsCount asks. Measured on such a machine (bench:device, builds alternated, quiet), two
 * threads ran the [S1] detector at 26 frames a second against 21, as onnxruntime-web's one thread per
 * logical CPU does; so while the backend starts, this worker reports twice its CPUs, and then its own again.
 */
async function withAllLogicalCpus<T>(start: () => Promise<T>): Promise<T> {
  Object.defineProperty(navigator, 'hardwareConcurrency', {
    configurable: true,
    value: 2 * wasmThreadCount(),
  });
  try {
    return await start();
  } finally {
    // The own property goes; the platform's getter answers again.
    delete (navigator as { hardwareConcurrency?: number }).hardwareConcurrency;
  }
}

async function startBackend(wanted?: string): Promise<string> {
  for (const name of wanted ? [wanted] : BACKENDS) {
    if (!wanted && name === 'webgpu' && !(await hardwareWebgpu())) continue;
    if (!wanted && name === 'webgl' && softwareWebgl()) continue;
    try {
      const start = async (): Promise<boolean> => {
        if (!(await tf.setBackend(name))) return false;
        await tf.ready();
        return true;
      };
      if (await (name === 'wasm' ? withAllLogicalCpus(start) : start())) return name;
    } catch {
      // Not available here (no adapter, no WebGL context): the next one.
    }
  }
  throw new Error('No TensorFlow.js backend could start in this browser.');
}

interface Loaded {
  readonly runner: ModelRunner;
  readonly plan: ExportPlan;
  readonly identity: { readonly projectId: string; readonly iterationId: string; readonly tagIds: string[] };
  /** The package's own detection limits, when it names them. */
  readonly limits: { minProbability: number; maxDetections: number } | undefined;
  readonly canvas: OffscreenCanvas;
  readonly context: OffscreenCanvasRenderingContext2D;
}

let loaded: Loaded | undefined;

const api: InferenceWorkerApi = {
  async load(exportZip, projectId, backend) {
    const started = performance.now();
    const files = readExportFiles(
      await readZipFiles(new Uint8Array(exportZip), inflateRaw, MAX_UNPACKED_BYTES),
    );
    const plan = recogniseExport(files);
    const runner =
      files.model.format === 'onnx'
        ? await (await import('./onnx-runner.ts')).loadOnnxRunner(files, plan)
        : await loadTfjsRunner(files, plan, backend);
    loaded?.runner.dispose();
    const canvas = new OffscreenCanvas(plan.input.width, plan.input.height);
    const context = canvas.getContext('2d', { willReadFrequently: true })!;
    // The same ids the server answers with for this export (derived alike), so history and filters agree.
    // A package of Sightline's own (the embedded detector) names the server's ids and limits itself.
    // An export the server knows the project's tags for carries the server's ids too (sightline-ids.json).
    const own = files.sightlinePackage ?? files.servedIds;
    const identity = {
      projectId: own?.projectId ?? projectId,
      iterationId: exportIterationId(files),
      tagIds: own ? [...own.tagIds] : tagIdsFor(plan.labels, projectId),
    };
    const limits = files.sightlinePackage
      ? {
          minProbability: files.sightlinePackage.minProbability,
          maxDetections: files.sightlinePackage.maxDetections,
        }
      : undefined;
    loaded = { runner, plan, identity, canvas, context, limits };
    // A first run compiles the kernels (shaders on WebGPU and WebGL), so the first frame does not pay.
    await runner.run(new Float32Array(plan.input.width * plan.input.height * 3));
    const info: LoadedModelInfo = {
      backend: runner.backend,
      ...(runner.wasmFeatures ? { wasmFeatures: runner.wasmFeatures } : {}),
      summary: plan.summary,
      projectType: plan.projectType,
      labels: plan.labels,
      loadMs: performance.now() - started,
    };
    return info;
  },

  async predict(jpeg, limits) {
    if (!loaded) throw new Error('No model is loaded on this device yet.');
    const started = performance.now();
    const { plan, canvas, context, identity } = loaded;
    // The picture's own values, as the server's decoder gives them: no colour management, no premultiplying.
    const bitmap = await createImageBitmap(new Blob([jpeg]), {
      colorSpaceConversion: 'none',
      premultiplyAlpha: 'none',
    });
    const rect = sourceRect(bitmap.width, bitmap.height, plan.input.fit);
    context.drawImage(bitmap, rect.x, rect.y, rect.width, rect.height, 0, 0, canvas.width, canvas.height);
    bitmap.close();
    const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
    const outputs = await loaded.runner.run(toInputTensor(pixels, 4, plan.input));
    const results =
      plan.output.family === 'classifier'
        ? decodeClassifications(plan.output, outputs, plan.labels.length)
        : decodeDetections(plan.output, outputs, loaded.limits ?? limits, plan.labels.length);
    const prediction = toImagePrediction(results, {
      id: crypto.randomUUID(),
      projectId: identity.projectId,
      iterationId: identity.iterationId,
      labels: plan.labels,
      tagIds: identity.tagIds,
      created: new Date(),
    });
    return { prediction, inferenceMs: performance.now() - started };
  },
};

/** A TensorFlow.js export on the fastest backend here (or the one asked for). */
async function loadTfjsRunner(files: ExportFiles, plan: ExportPlan, wanted?: string): Promise<ModelRunner> {
  if (files.model.format !== 'tfjs') throw new Error('not a TensorFlow.js model');
  const backend = await startBackend(wanted);
  const artifacts = graphModelArtifacts(files.model) as unknown as tf.io.ModelArtifacts;
  const model: GraphModel = await loadGraphModel({ load: () => Promise.resolve(artifacts) });
  return {
    backend,
    ...(backend === 'wasm'
      ? {
          wasmFeatures: wasmFeatures(tf.env().getBool('WASM_HAS_SIMD_SUPPORT'), getThreadsCount()),
        }
      : {}),
    run: graphModelRun(model, (values, dims) => tf.tensor(values, dims), plan),
    dispose: () => model.dispose(),
  };
}

expose(api);
