import { describe, expect, it } from 'vitest';
import { mayUseRememberedConfig, rememberConfig, rememberedConfig } from '../../src/api/config-cache.ts';
import { parseConfig, ServerInfoError } from '../../src/api/server-info.ts';

function memoryStorage() {
  const items = new Map<string, string>();
  return {
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, value),
  };
}

describe('the remembered config', () => {
  it('gives back the last config the server sent, through the same validation', () => {
    const storage = memoryStorage();
    expect(rememberedConfig(storage)).toBeUndefined();
    const config = parseConfig({
      models: [
        {
          projectId: '0f0f0f0f-1111-4222-8333-444455556666',
          publishedName: 'coco-centernet',
          type: 'detect',
          source: 'local',
        },
      ],
      budget: { nostorePerSecond: 5, storePerSecond: 5, basis: 'measured' },
    });
    rememberConfig(config, storage);
    expect(rememberedConfig(storage)).toEqual(config);
  });

  it('ignores a corrupt entry', () => {
    const storage = memoryStorage();
    storage.setItem('sightline.config.v1', '{"models": 3}');
    expect(rememberedConfig(storage)).toBeUndefined();
  });
});

describe('mayUseRememberedConfig', () => {
  it('stands in for a server that cannot be reached or is failing', () => {
    expect(mayUseRememberedConfig(new ServerInfoError('unreachable', 'no answer'))).toBe(true);
    expect(mayUseRememberedConfig(new ServerInfoError('http', 'HTTP 500', { status: 500 }))).toBe(true);
    expect(mayUseRememberedConfig(new TypeError('Failed to fetch'))).toBe(true);
  });

  it('does not hide a config this build cannot read, such as an unknown model source', () => {
    let error: unknown;
    try {
      parseConfig({ models: [{ projectId: 'p', publishedName: 'm', source: 'export' }] });
    } catch (caught) {
      error = caught;
    }
    expect(mayUseRememberedConfig(error)).toBe(false);
  });
});
