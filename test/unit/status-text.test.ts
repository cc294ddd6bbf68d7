import { describe, expect, it } from 'vitest';
import { ServerInfoError, type ModelInfo } from '../../src/api/server-info.ts';
import {
  describeHealth,
  describeModel,
  describeModelChoice,
  formatUptime,
} from '../../src/app/status-text.ts';

const base: ModelInfo = {
  projectId: '0f8fad5b-d9cb-469f-a165-70867728950e',
  publishedName: 'coco-centernet',
  type: 'detect',
  source: 'local',
  name: 'Local COCO detector (CenterNet, 80 labels)',
  predictionPath: '/customvision/v3.1/prediction/x/detect/iterations/coco-centernet/image/nostore',
  tags: undefined,
};

describe('describeModelChoice', () => {
  it('says the model shown is one of several, and where another is picked; nothing for one model', () => {
    expect(describeModelChoice(0)).toBeUndefined();
    expect(describeModelChoice(1)).toBeUndefined();
    expect(describeModelChoice(3)).toBe('One of 3 models on this server: Settings → Model picks another.');
  });

  it('calls a local classifier (an export) a classifier, not a detector', () => {
    const text = describeModel({ ...base, type: 'classify', name: 'Custom Vision export: colours' });
    expect(text.source).toMatch(/^Local classifier on the Sightline server/);
  });
});

describe('describeModel', () => {
  it('names the local detector with its published name', () => {
    const text = describeModel(base);
    expect(text.name).toBe('Local COCO detector (CenterNet, 80 labels) · coco-centernet');
    expect(text.source).toMatch(/^Local detector/);
  });

  it('still says "Local COCO detector" when the server sent no display name', () => {
    expect(describeModel({ ...base, name: base.publishedName }).name).toBe(
      'Local COCO detector · coco-centernet',
    );
  });

  it('names a Custom Vision project by id, published name and type', () => {
    const text = describeModel({
      ...base,
      source: 'custom-vision',
      publishedName: 'Iteration4',
      type: 'classify',
    });
    expect(text.name).toBe(
      'Custom Vision project 0f8fad5b-d9cb-469f-a165-70867728950e · Iteration4 (classify)',
    );
    expect(text.source).toMatch(/Azure Custom Vision/);
  });
});

describe('describeHealth', () => {
  const health = { status: 'ok', source: undefined, uptimeSeconds: undefined };

  it('is checking before the first answer', () => {
    expect(describeHealth({ kind: 'waiting' }).state).toBe('checking');
  });

  it('is ready, with the server’s detail', () => {
    const text = describeHealth({
      kind: 'value',
      at: 0,
      value: { ...health, ready: true, detail: 'All good.' },
    });
    expect(text).toEqual({ state: 'ready', label: 'Ready', detail: 'All good.' });
  });

  it('is starting, and its label never contains "ready"', () => {
    const text = describeHealth({ kind: 'value', at: 0, value: { ...health, ready: false, detail: '' } });
    expect(text.state).toBe('starting');
    expect(text.label.toLowerCase()).not.toContain('ready');
    expect(text.detail).not.toBe('');
  });

  it('says unreachable in user words, with the operator hint kept apart', () => {
    const error = new ServerInfoError('unreachable', "Can't reach the Sightline server right now.", {
      technical: 'No answer from http://x (/api/health). Check that it runs (`npm start`).',
    });
    expect(describeHealth({ kind: 'error', at: 0, error })).toEqual({
      state: 'unreachable',
      label: 'Unreachable',
      detail: error.message,
      technical: error.technical,
    });
  });

  it('reports other failures as errors, the status code in the technical detail', () => {
    const error = new ServerInfoError('http', 'The Sightline server could not answer (error 500).', {
      status: 500,
      technical: 'The Sightline server answered /api/health with HTTP 500',
    });
    const text = describeHealth({ kind: 'error', at: 0, error });
    expect(text.state).toBe('error');
    expect(text.technical).toContain('HTTP 500');
    expect(text.detail).not.toMatch(/\/api\//);
  });

  it('never shows a user a path, a command or a parser message', () => {
    for (const error of [
      new ServerInfoError('invalid', '/api/health has no "status"'),
      new TypeError('Failed to fetch'),
    ]) {
      const text = describeHealth({ kind: 'error', at: 0, error });
      expect(text.detail).not.toMatch(/\/api\/|npm|status"|fetch/);
      expect(text.technical).toBe(error.message);
    }
  });
});

describe('formatUptime', () => {
  it('rounds to a readable unit', () => {
    expect(formatUptime(12.7)).toBe('12 s');
    expect(formatUptime(240)).toBe('4 min');
    expect(formatUptime(3 * 3600 + 5 * 60 + 9)).toBe('3 h 5 min');
  });
});
