import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/api/server-info.ts';
import { teachAccess } from '../../../src/teach/editor/teach-access.ts';
import { cappedSize } from '../../../src/teach/editor/teach-frame.ts';

const training = (operations: string[]) => ({
  available: true,
  source: 'local',
  projectId: 'p',
  basePath: '/customvision/v3.3/training/projects/p',
  operations,
});
const config = (role: string, operations: string[]) =>
  parseConfig({ models: [], caller: { role }, training: training(operations) });

describe('teachAccess', () => {
  it('a predict-only caller (a kiosk) may not teach at all', () => {
    expect(teachAccess(config('predict', []))).toBeUndefined();
  });

  it('a contributor may teach with the project tags but not add tags', () => {
    const access = teachAccess(config('contribute', ['createImagesFromFiles', 'createTag', 'getTags']));
    expect(access?.training.projectId).toBe('p');
    expect(access?.canCreateTags).toBe(false);
  });

  it('a manager may add tags', () => {
    expect(teachAccess(config('manage', ['createImagesFromFiles', 'createTag']))?.canCreateTags).toBe(true);
  });

  it('no training project: no teaching, whatever the role', () => {
    expect(teachAccess(parseConfig({ models: [], caller: { role: 'manage' } }))).toBeUndefined();
  });
});

describe('cappedSize', () => {
  it('keeps a frame within the cap as it is', () => {
    expect(cappedSize({ width: 1920, height: 1080 }, 1920)).toEqual({ width: 1920, height: 1080 });
  });

  it('scales a larger frame down to the cap on its long side, portrait or landscape', () => {
    expect(cappedSize({ width: 4032, height: 3024 }, 1920)).toEqual({ width: 1920, height: 1440 });
    expect(cappedSize({ width: 3024, height: 4032 }, 1920)).toEqual({ width: 1440, height: 1920 });
  });
});
