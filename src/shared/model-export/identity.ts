// The ids an export is answered under when the cloud's are not at hand: its iteration's (from the
// manifest), and a project id derived from it, the same on the server and on every device.
import type { ExportFiles } from './export-files.ts';
import { nameUuid } from './image-prediction.ts';
import { sha1, toHex } from './sha1.ts';

/** What identifies the export: its iteration id, else its model's SHA-1 (an export without a manifest). */
function identityKey(files: ExportFiles): string {
  const model = files.model.format === 'onnx' ? files.model.bytes : files.model.weights;
  return files.manifest?.iterationId ?? toHex(sha1(model));
}

export const exportIterationId = (files: ExportFiles): string =>
  files.sightlinePackage?.iterationId ??
  files.servedIds?.iterationId ??
  files.manifest?.iterationId?.toLowerCase() ??
  nameUuid(`iteration:${identityKey(files)}`);

/** Exports carry no project id: without the configured one, this stands in for it. */
export const derivedProjectId = (files: ExportFiles): string => nameUuid(`project:${identityKey(files)}`);
