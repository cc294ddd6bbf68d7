// Which exports of a CUSTOM_VISION_EXPORT folder are served, under which names, and how EXPORT_WORKERS is
// shared among them: decided before any worker starts, from what is on disk and the settings.
import { describe, expect, it } from 'vitest';
import type { ExportIdentity } from '../../server/model-export/read-export.ts';
import type { ExportUpstreamConfig } from '../../server/upstreams/export-config.ts';
import { selectServedExports, shareWorkers } from '../../server/upstreams/export-selection.ts';
import type { ExportPlan } from '../../src/shared/model-export/recognise.ts';

const FOLDER = '/exports';
const PROJECT = '0f0f0f0f-1111-4222-8333-444455556666';

const config = (settings: Partial<ExportUpstreamConfig> = {}): ExportUpstreamConfig => ({
  source: FOLDER,
  sourceIsFolder: true,
  workers: 2,
  queueLimit: 8,
  minProbability: 0.01,
  maxDetections: 64,
  platform: 'ONNX',
  refreshMs: 0,
  ...settings,
});

const TRAINING = {
  training: {
    endpoint: 'https://training.invalid',
    trainingKey: 'k',
    projectId: PROJECT,
  } as unknown as NonNullable<ExportUpstreamConfig['training']>,
  projectId: PROJECT,
  publishedName: 'live',
};

/** An export found in the folder: `id` stands for its iteration and its derived project. */
const found = (file: string, id: string, exportedDate = ''): ExportIdentity => ({
  source: `${FOLDER}/${file}`,
  plan: { projectType: 'classify', labels: ['a'], summary: id } as unknown as ExportPlan,
  iterationId: `iteration-${id}`,
  derivedProjectId: `project-${id}`,
  exportedDate,
});

const names = (selection: ReturnType<typeof selectServedExports>) =>
  selection.served.map(({ source, projectId, publishedName }) => [source, projectId, publishedName]);

describe('selectServedExports', () => {
  it('serves every export, the first under the configured names and the others under their own', () => {
    const selection = selectServedExports(config({ projectId: PROJECT, publishedName: 'live' }), [
      found('new.zip', 'b'),
      found('old.zip', 'a'),
    ]);
    expect(names(selection)).toEqual([
      ['/exports/new.zip', PROJECT, 'live'],
      ['/exports/old.zip', 'project-a', 'old'],
    ]);
    expect(selection.skipped).toEqual([]);
  });

  it('derives every name when none is configured', () => {
    expect(names(selectServedExports(config(), [found('b.zip', 'b'), found('a.zip', 'a')]))).toEqual([
      ['/exports/b.zip', 'project-b', 'b'],
      ['/exports/a.zip', 'project-a', 'a'],
    ]);
  });

  it('serves the fetched published iteration first and skips the fetches it replaced', () => {
    const earlier = found('11111111-2222-4333-8444-555555555555.zip', 'first', '2026-03-01');
    const current = found('99999999-2222-4333-8444-555555555555.zip', 'second', '2026-02-01');
    const selection = selectServedExports(
      config(TRAINING),
      [earlier, found('mine.zip', 'mine', '2026-02-15'), current],
      current.source,
    );
    expect(names(selection)).toEqual([
      [current.source, PROJECT, 'live'],
      ['/exports/mine.zip', 'project-mine', 'mine'],
    ]);
    expect(selection.skipped).toEqual([
      { source: earlier.source, reason: expect.stringContaining('replaced by 99999999') as string },
    ]);
  });

  it('serves the newest earlier fetch when this start could not fetch', () => {
    const newer = found('11111111-2222-4333-8444-555555555555.zip', 'first', '2026-03-01');
    const older = found('99999999-2222-4333-8444-555555555555.zip', 'second', '2026-02-01');
    const selection = selectServedExports(config(TRAINING), [
      found('mine.zip', 'mine', '2026-04-01'),
      newer,
      older,
    ]);
    expect(names(selection)[0]).toEqual([newer.source, PROJECT, 'live']);
    expect(selection.skipped.map((entry) => entry.source)).toEqual([older.source]);
  });

  it('refuses two exports that would be served under the same names, naming both files', () => {
    expect(() => selectServedExports(config(), [found('x.zip', 'a'), found('x.ZIP', 'a')])).toThrow(
      /x\.zip and x\.ZIP would both be served as project project-a, published name "x"/,
    );
  });

  it('refuses an empty folder', () => {
    expect(() => selectServedExports(config(), [])).toThrow(/holds no export zip/);
  });
});

describe('shareWorkers', () => {
  it('shares the workers newest first, the queue in proportion', () => {
    expect(shareWorkers(5, 20, 2)).toEqual([
      { workers: 3, queueLimit: 12 },
      { workers: 2, queueLimit: 8 },
    ]);
  });

  it('gives every export one worker even when there are more exports than workers', () => {
    expect(shareWorkers(2, 8, 3).map((share) => share.workers)).toEqual([1, 1, 1]);
  });

  it('gives one export all of them', () => {
    expect(shareWorkers(4, 16, 1)).toEqual([{ workers: 4, queueLimit: 16 }]);
  });
});
