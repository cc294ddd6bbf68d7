// An export on disk (Custom Vision's zip, or a folder of its files) read and recognised, ready to load.
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { inflateRaw } from 'node:zlib';
import { readExportFiles, type ExportFiles } from '../../src/shared/model-export/export-files.ts';
import { recogniseExport, type ExportPlan } from '../../src/shared/model-export/recognise.ts';
import { readZipFiles } from '../../src/shared/model-export/zip.ts';
import { derivedProjectId, exportIterationId } from '../../src/shared/model-export/identity.ts';

const inflate = promisify(inflateRaw);

/** Exports are tens of MB; a zip claiming more than this unpacked is refused before it is inflated. */
const MAX_UNPACKED_BYTES = 1024 * 1024 * 1024;

export interface LoadedExport {
  readonly source: string;
  readonly files: ExportFiles;
  readonly plan: ExportPlan;
}

/** The files of one export: a zip's entries, or a folder's files (one level). */
export async function readExportSource(source: string): Promise<Map<string, Uint8Array>> {
  if ((await stat(source)).isDirectory()) {
    const names = await readdir(source);
    return new Map(
      await Promise.all(names.map(async (name) => [name, await readFile(path.join(source, name))] as const)),
    );
  }
  return readZipFiles(await readFile(source), (deflated) => inflate(deflated), MAX_UNPACKED_BYTES);
}

/** Reads and recognises an export; errors name the file and say what was found. */
export async function readExport(source: string): Promise<LoadedExport> {
  try {
    const files = readExportFiles(await readExportSource(source));
    return { source, files, plan: recogniseExport(files) };
  } catch (error) {
    throw new Error(`${source}: ${(error as Error).message}`, { cause: error });
  }
}

/** What is kept of an export once read: its model's bytes are for the workers to load, not held here. */
export interface ExportIdentity {
  readonly source: string;
  readonly plan: ExportPlan;
  /** The iteration it was exported from (its manifest's), else one derived from its model. */
  readonly iterationId: string;
  /** The project id it is served under when none is configured (exports carry none). */
  readonly derivedProjectId: string;
  /** Its manifest's export date, '' when it has none. */
  readonly exportedDate: string;
}

/** Reads and recognises an export, keeping only what serving it needs (see {@link ExportIdentity}). */
export async function identifyExport(source: string): Promise<ExportIdentity> {
  const { plan, files } = await readExport(source);
  return {
    source,
    plan,
    iterationId: exportIterationId(files),
    derivedProjectId: derivedProjectId(files),
    exportedDate: files.manifest?.exportedDate ?? '',
  };
}

/**
 * Every export zip of a folder (the CUSTOM_VISION_EXPORT folder form), read and recognised, newest export
 * first by the date in its manifest (then by file name). All of them are served, so one that cannot be
 * read stops the start with its file's name, as a single export would.
 */
export async function identifyFolderExports(folder: string): Promise<ExportIdentity[]> {
  const zips = (await readdir(folder))
    .filter((name) => name.toLowerCase().endsWith('.zip'))
    .map((name) => path.join(folder, name));
  const found: ExportIdentity[] = [];
  // One at a time: each is tens of MB unpacked, and only its identity is kept.
  for (const zip of zips) found.push(await identifyExport(zip));
  return found.sort(
    (a, b) => b.exportedDate.localeCompare(a.exportedDate) || a.source.localeCompare(b.source),
  );
}
