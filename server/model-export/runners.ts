// The model of an export loaded in a runtime: onnxruntime-node for ONNX, TensorFlow.js (wasm backend, as
// the embedded detector uses) for TF.js graphs. Both take the plan's input tensor and return the plan's
// outputs by name.
import { createRequire } from 'node:module';
import path from 'node:path';
import type { io } from '@tensorflow/tfjs-core';
import type { ModelOutputs } from '../../src/shared/model-export/decode.ts';
import {
  graphModelArtifacts,
  graphModelRun,
  onnxSessionRun,
} from '../../src/shared/model-export/graph-outputs.ts';
import { exposeOnnxTensors } from '../../src/shared/model-export/onnx-model.ts';
import type { ExportPlan } from '../../src/shared/model-export/recognise.ts';
import type { ExportFiles } from '../../src/shared/model-export/export-files.ts';

export interface ModelRunner {
  /** The runtime and backend, for health and logs. */
  readonly backend: string;
  run(input: Float32Array): Promise<ModelOutputs>;
  dispose(): Promise<void>;
}

async function onnxRunner(model: Uint8Array, files: ExportFiles, plan: ExportPlan): Promise<ModelRunner> {
  const ort = await import('onnxruntime-node');
  // Map outputs (ZipMap) cannot come back to JavaScript: the tensor feeding each is made an output.
  const exposed = Object.values(files.signature.zipMapSources);
  const session = await ort.InferenceSession.create(
    exposed.length ? exposeOnnxTensors(model, exposed) : model,
    {
      // One thread a worker: the workers are the parallelism, as with the embedded detector.
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
    },
  );
  return {
    backend: 'onnxruntime-node (cpu)',
    run: onnxSessionRun(session, (values, dims) => new ort.Tensor('float32', values, dims), plan),
    dispose: () => session.release(),
  };
}

const require = createRequire(import.meta.url);

async function tfjsRunner(files: ExportFiles, plan: ExportPlan): Promise<ModelRunner> {
  if (files.model.format !== 'tfjs') throw new Error('not a TF.js model');
  const tf = await import('@tensorflow/tfjs-core');
  const { loadGraphModel } = await import('@tensorflow/tfjs-converter');
  const { setWasmPaths } = await import('@tensorflow/tfjs-backend-wasm');
  if (tf.getBackend() !== 'wasm') {
    const wasmDir = path.dirname(
      require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'),
    );
    setWasmPaths(`${wasmDir}${path.sep}`);
    if (!(await tf.setBackend('wasm'))) throw new Error('TensorFlow.js could not start its wasm backend.');
    await tf.ready();
  }
  const artifacts = graphModelArtifacts(files.model) as unknown as io.ModelArtifacts;
  const model = await loadGraphModel({ load: () => Promise.resolve(artifacts) });
  return {
    backend: `TensorFlow.js ${tf.version_core} (${tf.getBackend()})`,
    run: graphModelRun(model, (values, dims) => tf.tensor(values, dims), plan),
    dispose: () => {
      model.dispose();
      return Promise.resolve();
    },
  };
}

export function loadRunner(files: ExportFiles, plan: ExportPlan): Promise<ModelRunner> {
  return files.model.format === 'onnx' ? onnxRunner(files.model.bytes, files, plan) : tfjsRunner(files, plan);
}
