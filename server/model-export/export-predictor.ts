// One export, loaded: an encoded image in, its detections or classifications out, timed by stage. Used
// by the export workers, and directly by tests that compare figures.
import { decodeClassifications, decodeDetections } from '../../src/shared/model-export/decode.ts';
import { toInputTensor } from '../../src/shared/model-export/preprocess.ts';
import type { ExportJobResult } from './export-protocol.ts';
import { imageToPixels } from './image-input.ts';
import { readExport, type LoadedExport } from './read-export.ts';
import { loadRunner, type ModelRunner } from './runners.ts';

export interface ExportPredictor {
  readonly loaded: LoadedExport;
  readonly runner: ModelRunner;
  predict(bytes: Uint8Array): Promise<ExportJobResult>;
  /** The model's outputs for an input tensor already made (for tests against reference figures). */
  run: ModelRunner['run'];
  dispose(): Promise<void>;
}

export async function loadExportPredictor(
  source: string,
  limits: { minProbability: number; maxDetections: number },
): Promise<ExportPredictor> {
  const loaded = await readExport(source);
  const { plan } = loaded;
  const runner = await loadRunner(loaded.files, plan);
  const classCount = plan.labels.length;
  return {
    loaded,
    runner,
    run: (input) => runner.run(input),
    async predict(bytes) {
      const start = performance.now();
      const pixels = await imageToPixels(bytes, plan.input);
      const input = toInputTensor(pixels.rgb, 3, plan.input);
      const decoded = performance.now();
      const outputs = await runner.run(input);
      const inferred = performance.now();
      const results =
        plan.output.family === 'classifier'
          ? decodeClassifications(plan.output, outputs, classCount)
          : decodeDetections(plan.output, outputs, limits, classCount);
      const done = performance.now();
      return {
        results,
        timing: { decodeMs: decoded - start, modelMs: inferred - decoded, postprocessMs: done - inferred },
      };
    },
    dispose: () => runner.dispose(),
  };
}
