import { describe, expect, it } from 'vitest';
import {
  parsePredictionPath,
  predictionPath,
  predictionPathFor,
} from '../../../src/shared/custom-vision-path.ts';

describe('predictionPathFor', () => {
  const nostore = '/customvision/v3.1/prediction/abc/detect/iterations/coco-centernet/image/nostore';
  const store = '/customvision/v3.1/prediction/abc/detect/iterations/coco-centernet/image';

  it('keeps the nostore route unless frames are to be stored', () => {
    expect(predictionPathFor(nostore, false)).toBe(nostore);
    expect(predictionPathFor(nostore, true)).toBe(store);
  });

  it('accepts the stored route as input too', () => {
    expect(predictionPathFor(store, true)).toBe(store);
    expect(predictionPathFor(store, false)).toBe(nostore);
  });

  it('keeps a query string and matches case-insensitively, as the server does', () => {
    expect(predictionPathFor(`${nostore}?application=kiosk`, true)).toBe(`${store}?application=kiosk`);
    expect(predictionPathFor(`${store}?application=kiosk`, false)).toBe(`${nostore}?application=kiosk`);
    expect(predictionPathFor('/x/Image/NoStore', true)).toBe('/x/Image');
    expect(predictionPathFor('/x/image/nostore/', true)).toBe('/x/image');
  });

  it('leaves a path of another shape alone', () => {
    expect(predictionPathFor('/predict', true)).toBe('/predict');
    expect(predictionPathFor('/predict', false)).toBe('/predict');
  });
});

describe('parsePredictionPath and predictionPath', () => {
  const project = 'fb5bc587-3c5d-4d2f-8a3f-1a1a1a1a1a1a';

  it('reads every part of a prediction path, fixed segments in any case', () => {
    expect(
      parsePredictionPath(
        `/customvision/V3.0/Prediction/${project.toUpperCase()}/Classify/iterations/My%20Model/URL`,
      ),
    ).toEqual({
      version: 'v3.0',
      projectId: project,
      projectType: 'classify',
      publishedName: 'My Model',
      input: 'url',
      store: true,
    });
    expect(
      parsePredictionPath(`/customvision/v3.1/prediction/${project}/detect/iterations/m/image/nostore/`),
    ).toMatchObject({ version: 'v3.1', projectType: 'detect', input: 'image', store: false });
  });

  it('refuses paths of another shape and undecodable names', () => {
    expect(
      parsePredictionPath(`/customvision/v3.2/prediction/${project}/detect/iterations/m/image`),
    ).toBeUndefined();
    expect(
      parsePredictionPath(`/customvision/v3.1/prediction/${project}/segment/iterations/m/image`),
    ).toBeUndefined();
    expect(
      parsePredictionPath(`/customvision/v3.1/prediction/${project}/detect/iterations/%E0%A4/image`),
    ).toBeUndefined();
    expect(parsePredictionPath('/api/config')).toBeUndefined();
  });

  it('builds the path it reads, with the published name encoded', () => {
    const route = {
      version: 'v3.1',
      projectId: project,
      projectType: 'detect',
      publishedName: 'coco/centernet v2',
      input: 'image',
      store: false,
    } as const;
    const path = predictionPath(route);
    expect(path).toBe(
      `/customvision/v3.1/prediction/${project}/detect/iterations/coco%2Fcenternet%20v2/image/nostore`,
    );
    expect(parsePredictionPath(path)).toEqual(route);
    expect(parsePredictionPath(predictionPath({ ...route, store: true }))).toEqual({ ...route, store: true });
  });
});
