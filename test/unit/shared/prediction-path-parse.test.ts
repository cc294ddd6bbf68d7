import { describe, expect, it } from 'vitest';
import { parsePredictionPath, predictionPath } from '../../../src/shared/custom-vision-path.ts';

const ID = '0f0f0f0f-1111-4222-8333-444455556666';

describe('parsePredictionPath', () => {
  it('reads every part of a detect route', () => {
    expect(
      parsePredictionPath(`/customvision/v3.1/prediction/${ID}/detect/iterations/Iteration1/image/nostore`),
    ).toEqual({
      version: 'v3.1',
      projectId: ID,
      projectType: 'detect',
      publishedName: 'Iteration1',
      input: 'image',
      store: false,
    });
  });

  it('matches the portal spelling "Prediction" and v3.0, and decodes the published name', () => {
    const route = parsePredictionPath(
      `/customvision/v3.0/Prediction/${ID.toUpperCase()}/classify/iterations/Leaf%20detection/url`,
    );
    expect(route).toMatchObject({
      version: 'v3.0',
      projectId: ID,
      projectType: 'classify',
      publishedName: 'Leaf detection',
      input: 'url',
      store: true,
    });
  });

  it.each([
    `/customvision/v2.0/prediction/${ID}/detect/iterations/x/image`,
    `/customvision/v3.1/prediction/${ID}/segment/iterations/x/image`,
    `/customvision/v3.1/prediction/${ID}/detect/iterations/x/image/extra`,
    `/customvision/v3.1/prediction/${ID}/detect/iterations//image`,
    `/customvision/v3.1/prediction/${ID}/detect/iterations/%E0%A4%A/image`,
  ])('rejects %s', (path) => {
    expect(parsePredictionPath(path)).toBeUndefined();
  });

  it('round-trips through predictionPath', () => {
    const path = `/customvision/v3.1/prediction/${ID}/detect/iterations/Leaf%20detection/image/nostore`;
    expect(predictionPath(parsePredictionPath(path)!)).toBe(path);
  });
});
