import { describe, expect, it } from 'vitest';
import { rememberConfig, rememberedConfig } from '../../src/api/config-cache.ts';
import { parseConfig } from '../../src/api/server-info.ts';

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
