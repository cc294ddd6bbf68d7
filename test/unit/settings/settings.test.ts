import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SETTINGS,
  loadSettings,
  sanitizeSettings,
  saveSettings,
  settingsFromUrl,
} from '../../../src/settings/settings.ts';

function memoryStorage() {
  const items = new Map<string, string>();
  return {
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, value),
  };
}

describe('settings', () => {
  it('round-trips through storage', () => {
    const storage = memoryStorage();
    const changed = {
      ...DEFAULT_SETTINGS,
      threshold: 0.7,
      tagFilter: ['person'],
      fit: 'contain' as const,
      deviceId: 'cam-2',
    };
    saveSettings(changed, storage);
    expect(loadSettings(storage)).toEqual(changed);
  });

  it('falls back to defaults for a missing, corrupt or hand-edited entry', () => {
    expect(loadSettings(memoryStorage())).toEqual(DEFAULT_SETTINGS);
    const storage = memoryStorage();
    storage.setItem('sightline.settings.v1', '{not json');
    expect(loadSettings(storage)).toEqual(DEFAULT_SETTINGS);
    const odd = sanitizeSettings({
      threshold: 7,
      fit: 'stretch',
      tagFilter: ['cup', 3, ''],
      fpsCap: -1,
      mirror: 'yes',
    });
    expect(odd).toEqual({ ...DEFAULT_SETTINGS, tagFilter: ['cup'] });
  });

  it('takes provisioning from URL parameters, ignoring invalid ones', () => {
    const base = { ...DEFAULT_SETTINGS, threshold: 0.6 };
    const s = settingsFromUrl(
      '?tags=person,%20cup&fit=contain&mirror=1&fps=5&hud=on&camera=abc&threshold=oops',
      base,
    );
    expect(s).toMatchObject({
      tagFilter: ['person', 'cup'],
      fit: 'contain',
      mirror: true,
      fpsCap: 5,
      showHud: true,
      deviceId: 'abc',
    });
    expect(s.threshold).toBe(0.6);
    expect(settingsFromUrl('?mirror=0&threshold=0.25', base)).toMatchObject({
      mirror: false,
      threshold: 0.25,
    });
  });
});
