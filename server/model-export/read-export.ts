// An export on disk (Custom Vision's zip, or a folder of its files) read and recognised, ready to load.
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { inflateRaw } from 'node:zlib';
import { readExportFiles, type ExportFiles } from '../../src/shared/model-export/export-files.ts';
import { recogniseExport, type ExportPlan } from '../../src/shared/model-export/recognise.ts';
import { readZipFiles } from '../../src/shared/model-export/zip.ts';

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

/**
 * The export zips of a folder (the CUSTOM_VISION_EXPORT folder form), newest export first by the date in
 * their manifests: the newest is the one served, so dropping a newer export there replaces the model.
 */
export async function listExportZips(folder: string): Promise<string[]> {
  const zips = (await readdir(folder))
    .filter((name) => name.toLowerCase().endsWith('.zip'))
    .map((name) => path.join(folder, name));
  const dated = await Promise.all(
    zips.map(async (zip) => {
      try {
        return { zip, date: (await readExport(zip)).files.manifest?.exportedDate ?? '' };
      } catch {
        return { zip, date: '' };
      }
    }),
  );
  return dated
    .sort((a, b) => b.date.localeCompare(a.date) || a.zip.localeCompare(b.zip))
    .map((entry) => entry.zip);
}
