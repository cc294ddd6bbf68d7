import { describe, expect, it } from 'vitest';
import { TrainingClient } from '../../../src/api/training-client.ts';
import { loadTeachProject, rememberTag } from '../../../src/teach/editor/teach-project.ts';

const BASE = '/customvision/v3.3/training/projects';

/** A training client whose server answers from a table of paths (anything else: 404). */
function clientFor(projectId: string, answers: Record<string, unknown>, calls: string[] = []) {
  const training = {
    available: true as const,
    source: 'test',
    projectId,
    basePath: `${BASE}/${projectId}`,
    limits: { maxImageBytes: 6e6, maxImagesPerBatch: 64, maxTagsPerBatch: 20, maxRegionsPerImage: 300 },
    operations: [],
  };
  // The client asks for the server's paths as strings, as the page does.
  const fetch = (input: RequestInfo | URL): Promise<Response> => {
    const path = input as string;
    calls.push(path);
    const body = answers[path];
    return Promise.resolve(
      body === undefined
        ? new Response(JSON.stringify({ code: 'NotFound', message: 'no such thing' }), { status: 404 })
        : new Response(JSON.stringify(body), { status: 200 }),
    );
  };
  return new TrainingClient(training, { fetch });
}

const tags = [
  { id: 't1', name: 'mug', type: 'Regular', imageCount: 0 },
  { id: 't2', name: 'desk', type: 'Regular', imageCount: 0 },
];

describe('loadTeachProject', () => {
  it('a project in a classification domain takes image tags: multilabel when the project says so', async () => {
    const client = clientFor('p-class', {
      [`${BASE}/p-class`]: {
        id: 'p-class',
        name: 'Desk',
        settings: { domainId: 'd1', classificationType: 'Multilabel' },
      },
      [`${BASE}/p-class/tags`]: tags,
      '/customvision/v3.3/training/domains/d1': { id: 'd1', type: 'Classification', name: 'General' },
    });
    const outcome = await loadTeachProject(client, 'p-class');
    expect(outcome).toMatchObject({
      ok: true,
      project: {
        type: { kind: 'classification', multilabel: true },
        tags: [
          { id: 't1', name: 'mug' },
          { id: 't2', name: 'desk' },
        ],
      },
    });
  });

  it('an object detection project takes boxes, and is read only once', async () => {
    const calls: string[] = [];
    const client = clientFor(
      'p-detect',
      {
        [`${BASE}/p-detect`]: { id: 'p-detect', name: 'Field', settings: { domainId: 'd2' } },
        [`${BASE}/p-detect/tags`]: tags,
        '/customvision/v3.3/training/domains/d2': { id: 'd2', type: 'ObjectDetection', name: 'General' },
      },
      calls,
    );
    expect(await loadTeachProject(client, 'p-detect')).toMatchObject({
      ok: true,
      project: { type: { kind: 'detection' } },
    });
    const asked = calls.length;
    rememberTag('p-detect', { id: 't3', name: 'saucer' });
    const again = await loadTeachProject(client, 'p-detect');
    expect(calls).toHaveLength(asked);
    expect(again.ok && again.project.tags.map((t) => t.name)).toEqual(['mug', 'desk', 'saucer']);
  });

  it('says what went wrong when the server cannot give the project', async () => {
    const outcome = await loadTeachProject(clientFor('p-missing', {}), 'p-missing');
    expect(outcome.ok).toBe(false);
    expect(!outcome.ok && outcome.message).toContain("could not give the project's tags");
  });
});
