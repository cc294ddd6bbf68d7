import { describe, expect, it } from 'vitest';
import {
  DEFAULT_BUDGET,
  DEFAULT_MAX_IMAGE_BYTES,
  ServerInfoError,
  chosenModel,
  fetchConfig,
  modelKey,
  fetchHealth,
  trainingModel,
  parseConfig,
  mayUseTraining,
  parseHealth,
} from '../../src/api/server-info.ts';

const PROJECT_ID = '0f8fad5b-d9cb-469f-a165-70867728950e';

const localModel = {
  projectId: PROJECT_ID,
  publishedName: 'coco-centernet',
  type: 'detect',
  source: 'local',
  name: 'Local COCO detector (CenterNet, 80 labels)',
  predictionPath: `/customvision/v3.1/prediction/${PROJECT_ID}/detect/iterations/coco-centernet/image/nostore`,
  tags: ['person', 'bicycle', 'car'],
};

function invalid(fn: () => unknown): ServerInfoError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ServerInfoError);
    expect((error as ServerInfoError).kind).toBe('invalid');
    return error as ServerInfoError;
  }
  throw new Error('expected a ServerInfoError');
}

describe('parseConfig', () => {
  it('reads a complete config', () => {
    const budget = {
      nostorePerSecond: 5.5,
      storePerSecond: 5.5,
      basis: 'local detector capacity (measured)',
    };
    const config = parseConfig({ models: [localModel], limits: { maxImageBytes: 4194304 }, budget });
    expect(config).toEqual({
      models: [{ ...localModel, type: 'detect', source: 'local' }],
      limits: { maxImageBytes: 4194304 },
      budget,
      caller: { role: 'predict', roles: ['predict'] },
      training: { available: false, source: 'none' },
    });
  });

  it("reads the caller's role and the training operations it may use, trusting nothing else", () => {
    const config = parseConfig({
      models: [],
      caller: { role: 'contribute', roles: ['predict', 'contribute', 'manage'] },
      training: {
        available: true,
        source: 'local',
        projectId: 'p1',
        basePath: '/customvision/v3.3/training/projects/p1',
        limits: { maxImageBytes: 1000, maxImagesPerBatch: 'lots' },
        operations: ['getTags', 'createImagesFromFiles', 7],
      },
    });
    // The roles a role includes are derived from the role, not read from the list.
    expect(config.caller).toEqual({ role: 'contribute', roles: ['predict', 'contribute'] });
    expect(config.training).toEqual({
      available: true,
      source: 'local',
      projectId: 'p1',
      basePath: '/customvision/v3.3/training/projects/p1',
      limits: { maxImageBytes: 1000, maxImagesPerBatch: 64, maxTagsPerBatch: 20, maxRegionsPerImage: 300 },
      operations: ['getTags', 'createImagesFromFiles'],
      // No pace given (a local store has no upstream limit): Custom Vision's S0 pace stands in.
      pace: { basis: 'default (server gave none)', callsPerSecond: 10, trainPerSecond: 10 },
    });
    expect(mayUseTraining(config, 'createImagesFromFiles')).toBe(true);
    expect(mayUseTraining(config, 'trainProject')).toBe(false);
    // An unknown role or a training block without its path: predict only, no training.
    const odd = parseConfig({
      models: [],
      caller: { role: 'admin' },
      training: { available: true, projectId: 'p1', operations: [] },
    });
    expect(odd.caller.role).toBe('predict');
    expect(odd.training.available).toBe(false);
  });

  it("reads the upstream's prediction budget, falling back to the free tier's pace", () => {
    const cloud = parseConfig({
      models: [],
      budget: { nostorePerSecond: 20, storePerSecond: 10, basis: 'Custom Vision S0 tier' },
    });
    expect(cloud.budget).toEqual({
      nostorePerSecond: 20,
      storePerSecond: 10,
      basis: 'Custom Vision S0 tier',
    });
    expect(parseConfig({ models: [], budget: { nostorePerSecond: 8 } }).budget).toEqual({
      nostorePerSecond: 8,
      storePerSecond: 8,
      basis: 'server',
    });
    // A per-client cap under the budget is this client's pace (store or not).
    expect(
      parseConfig({
        models: [],
        budget: { nostorePerSecond: 19.41, storePerSecond: 9.7, basis: 'S0', perClientPerSecond: 1.94 },
      }).budget,
    ).toEqual({ nostorePerSecond: 1.94, storePerSecond: 1.94, basis: 'S0; at most 1.94/s per client' });
    expect(
      parseConfig({ models: [], budget: { nostorePerSecond: 5, perClientPerSecond: 9 } }).budget,
    ).toEqual({ nostorePerSecond: 5, storePerSecond: 5, basis: 'server' });
    for (const bad of [undefined, 'fast', { nostorePerSecond: -1 }, { nostorePerSecond: Number.NaN }]) {
      expect(parseConfig({ models: [], budget: bad }).budget).toEqual(DEFAULT_BUDGET);
    }
  });

  it('fills in missing optional fields', () => {
    const config = parseConfig({
      models: [{ projectId: PROJECT_ID, publishedName: 'Iteration3', source: 'custom-vision' }],
    });
    expect(config.limits.maxImageBytes).toBe(DEFAULT_MAX_IMAGE_BYTES);
    expect(config.models[0]).toEqual({
      projectId: PROJECT_ID,
      publishedName: 'Iteration3',
      type: 'detect',
      source: 'custom-vision',
      name: 'Iteration3',
      predictionPath: `/customvision/v3.1/prediction/${PROJECT_ID}/detect/iterations/Iteration3/image/nostore`,
      tags: undefined,
    });
  });

  it('infers a classifier from its prediction path when the type is missing', () => {
    const path = `/customvision/v3.1/prediction/${PROJECT_ID}/classify/iterations/flowers/image/nostore`;
    const [model] = parseConfig({
      models: [
        { projectId: PROJECT_ID, publishedName: 'flowers', source: 'custom-vision', predictionPath: path },
      ],
    }).models;
    expect(model?.type).toBe('classify');
    expect(model?.predictionPath).toBe(path);
  });

  it('refuses a model source it does not know, saying what it got', () => {
    for (const [source, got] of [
      ['export', '"export"'],
      [42, '42'],
      [undefined, 'none'],
    ] as const) {
      const error = invalid(() => parseConfig({ models: [localModel, { ...localModel, source }] }));
      expect(error.message).toContain('models[1]');
      expect(error.message).toContain(`source this app does not know: ${got}`);
      expect(error.message).toContain('local, custom-vision');
    }
  });

  it('keeps every model of a folder of exports, in the order served, the first being the default', () => {
    const other = {
      ...localModel,
      projectId: '5A6B7C8D-9E0F-4A1B-8C2D-3E4F5A6B7C8D',
      publishedName: 'Boxes',
      name: 'Custom Vision export: boxes',
    };
    const { models } = parseConfig({ models: [localModel, other] });
    expect(models.map((model) => model.publishedName)).toEqual(['coco-centernet', 'Boxes']);
    // No choice, or one the server no longer serves: its first model.
    expect(chosenModel(models, undefined)).toBe(models[0]);
    expect(chosenModel(models, `${PROJECT_ID}/retired`)).toBe(models[0]);
    expect(chosenModel(models, 'garbage')).toBe(models[0]);
    // A choice by project id (any case, as GUIDs are) and published name (exactly, as the server does).
    expect(modelKey(models[1]!)).toBe('5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d/Boxes');
    expect(chosenModel(models, '5A6B7C8D-9E0F-4A1B-8C2D-3E4F5A6B7C8D/Boxes')).toBe(models[1]);
    expect(chosenModel(models, '5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d/boxes')).toBe(models[0]);
    expect(chosenModel([], modelKey(other))).toBeUndefined();
  });

  it("names the training project's own model for Publish, whichever model is chosen", () => {
    const other = {
      ...localModel,
      projectId: '5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d',
      publishedName: 'boxes',
    };
    const training = (projectId: string) => ({
      available: true,
      projectId,
      basePath: `/customvision/v3.3/training/projects/${projectId}`,
      operations: ['publishIteration'],
    });
    // The training project's model is served second here (a newer export came first).
    const config = parseConfig({
      models: [other, localModel],
      training: training(PROJECT_ID.toUpperCase()),
    });
    expect(trainingModel(config)?.publishedName).toBe('coco-centernet');
    // A training project that serves no model of its own (the local store behind a folder): the first.
    const local = parseConfig({ models: [other, localModel], training: training('f00d') });
    expect(trainingModel(local)?.publishedName).toBe('boxes');
    const none = parseConfig({ models: [other, localModel] });
    expect(trainingModel(none)?.publishedName).toBe('boxes');
    expect(trainingModel(parseConfig({ models: [], training: training(PROJECT_ID) }))).toBeUndefined();
  });

  it('accepts an empty model list', () => {
    expect(parseConfig({ models: [] }).models).toEqual([]);
  });

  it('replaces wrongly typed optional fields with defaults', () => {
    const config = parseConfig({
      models: [
        {
          ...localModel,
          type: 'segment',
          name: '',
          predictionPath: null,
          tags: ['person', 7, '', null, 'dog'],
        },
      ],
      limits: { maxImageBytes: '4MB' },
    });
    const model = config.models[0];
    expect(model?.type).toBe('detect');
    expect(model?.source).toBe('local');
    expect(model?.name).toBe('coco-centernet');
    expect(model?.predictionPath).toBe(
      `/customvision/v3.1/prediction/${PROJECT_ID}/detect/iterations/coco-centernet/image/nostore`,
    );
    expect(model?.tags).toEqual(['person', 'dog']);
    expect(config.limits.maxImageBytes).toBe(DEFAULT_MAX_IMAGE_BYTES);
  });

  it('rejects nonsense limits', () => {
    for (const maxImageBytes of [0, -1, Number.NaN, Infinity]) {
      expect(parseConfig({ models: [], limits: { maxImageBytes } }).limits.maxImageBytes).toBe(
        DEFAULT_MAX_IMAGE_BYTES,
      );
    }
    expect(parseConfig({ models: [], limits: [] }).limits.maxImageBytes).toBe(DEFAULT_MAX_IMAGE_BYTES);
  });

  it('refuses a source it does not know', () => {
    expect(invalid(() => parseHealth({ status: 'ok', source: 'cloud' })).message).toContain('"cloud"');
    expect(parseHealth({ status: 'ok', source: 'custom-vision' }).source).toBe('custom-vision');
  });

  it('ignores extra fields', () => {
    const config = parseConfig({
      models: [{ ...localModel, exportable: true, iterationId: 'x' }],
      limits: { maxImageBytes: 1000, perSecond: 10 },
      version: 2,
    });
    expect(config.models[0]).not.toHaveProperty('exportable');
    expect(config.limits).toEqual({ maxImageBytes: 1000 });
    expect(config).not.toHaveProperty('version');
  });

  it('says what is wrong with an unusable config', () => {
    expect(invalid(() => parseConfig(null)).message).toMatch(/not .*object/);
    expect(invalid(() => parseConfig([localModel])).message).toMatch(/not .*object/);
    expect(invalid(() => parseConfig('{"models":[]}')).message).toMatch(/not .*object/);
    expect(invalid(() => parseConfig({})).message).toMatch(/"models"/);
    expect(invalid(() => parseConfig({ models: {} })).message).toMatch(/"models"/);
    expect(invalid(() => parseConfig({ models: [localModel, 'x'] })).message).toMatch(/models\[1\]/);
    expect(invalid(() => parseConfig({ models: [{ ...localModel, projectId: 5 }] })).message).toMatch(
      /projectId/,
    );
    expect(invalid(() => parseConfig({ models: [{ ...localModel, publishedName: ' ' }] })).message).toMatch(
      /publishedName/,
    );
  });
});

describe('parseHealth', () => {
  it('reads a complete health report', () => {
    expect(
      parseHealth({
        status: 'ok',
        ready: true,
        source: 'local',
        detail: 'Model loaded.',
        uptimeSeconds: 12.3,
      }),
    ).toEqual({ status: 'ok', ready: true, source: 'local', detail: 'Model loaded.', uptimeSeconds: 12.3 });
  });

  it('reports a server that is still starting', () => {
    const health = parseHealth({ status: 'ok', ready: false, detail: 'Loading the model…' });
    expect(health.ready).toBe(false);
    expect(health.detail).toBe('Loading the model…');
  });

  it('defaults everything except status', () => {
    expect(parseHealth({ status: 'ok' })).toEqual({
      status: 'ok',
      ready: true,
      source: undefined,
      detail: '',
      uptimeSeconds: undefined,
    });
    expect(parseHealth({ status: 'degraded' }).ready).toBe(false);
  });

  it('replaces wrongly typed fields with defaults', () => {
    expect(parseHealth({ status: 'ok', ready: 'yes', detail: 5, uptimeSeconds: '12' })).toEqual({
      status: 'ok',
      ready: true,
      source: undefined,
      detail: '',
      uptimeSeconds: undefined,
    });
    expect(parseHealth({ status: 'ok', uptimeSeconds: -3 }).uptimeSeconds).toBeUndefined();
  });

  it('ignores extra fields', () => {
    const health = parseHealth({ status: 'ok', ready: true, workers: 2, memory: { rss: 1 } });
    expect(health).not.toHaveProperty('workers');
    expect(health.ready).toBe(true);
  });

  it('requires a status', () => {
    expect(invalid(() => parseHealth({ ready: true })).message).toMatch(/status/);
    expect(invalid(() => parseHealth({ status: 1 })).message).toMatch(/status/);
    expect(invalid(() => parseHealth(undefined)).message).toMatch(/object/);
  });
});

describe('fetchConfig / fetchHealth', () => {
  const json = (body: unknown, status = 200): Response =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

  /** A fetch that never answers, and rejects like the real one when its signal aborts. */
  const hang = (_input: RequestInfo | URL, init?: RequestInit): Promise<Response> =>
    new Promise((_resolve, reject) => {
      const signal = init?.signal;
      signal?.addEventListener('abort', () => {
        const reason: unknown = signal.reason;
        reject(reason instanceof Error ? reason : new Error('aborted'));
      });
    });

  it('parses what the server returns', async () => {
    const config = await fetchConfig(new AbortController().signal, {
      fetch: () => Promise.resolve(json({ models: [localModel] })),
    });
    expect(config.models[0]?.publishedName).toBe('coco-centernet');
  });

  it('turns a refused connection into user words, and an operator hint apart', async () => {
    const error = await fetchHealth(new AbortController().signal, {
      fetch: () => Promise.reject(new TypeError('fetch failed')),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerInfoError);
    expect((error as ServerInfoError).kind).toBe('unreachable');
    expect((error as ServerInfoError).message).toMatch(/reach the Sightline server/);
    expect((error as ServerInfoError).message).not.toMatch(/npm|\/api\//);
    expect((error as ServerInfoError).technical).toMatch(/\/api\/health.*npm start/);
  });

  it('reads a health body sent with an error status', async () => {
    const health = await fetchHealth(new AbortController().signal, {
      fetch: () => Promise.resolve(json({ status: 'starting', ready: false }, 503)),
    });
    expect(health).toMatchObject({ status: 'starting', ready: false });
  });

  it('reports an HTTP error without a JSON body', async () => {
    const error = await fetchConfig(new AbortController().signal, {
      fetch: () => Promise.resolve(new Response('nope', { status: 500 })),
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'http', status: 500 });
  });

  it('reports a proxy gateway error as unreachable', async () => {
    const error = await fetchConfig(new AbortController().signal, {
      fetch: () => Promise.resolve(new Response('', { status: 502 })),
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'unreachable' });
  });

  it('gives up after the timeout', async () => {
    const error = await fetchHealth(new AbortController().signal, {
      timeoutMs: 20,
      fetch: hang,
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'unreachable' });
  });

  it('passes the caller’s abort through untouched', async () => {
    const controller = new AbortController();
    const pending = fetchHealth(controller.signal, {
      fetch: hang,
    });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });
});
