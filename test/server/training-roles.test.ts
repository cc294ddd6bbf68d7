// Roles: a device token is for predictions unless it says more. Each role is refused with a 403 in
// Custom Vision's shape, before anything goes upstream, on every training route outside its rights, and
// gets through on every route within them; the prediction route takes every role; /api/config tells the
// caller what it may do; on loopback with no tokens the operator may do everything.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRAINING_OPERATIONS, trainingPath } from '../../src/shared/custom-vision-training.ts';
import { roleAllows, ROLES, type Role } from '../../src/shared/roles.ts';
import { startFakeCustomVision, type FakeCustomVision } from '../support/fake-custom-vision.ts';
import { startFakeTraining, type FakeTraining } from '../support/fake-custom-vision-training.ts';
import { FIXTURES, fixtureBytes } from '../support/fixtures.ts';
import { startTestApp, type TestApp } from '../support/test-server.ts';

const TOKENS: Record<Role, string> = {
  predict: 'kiosk-token-aaaaaaaaaaaaaaaa',
  contribute: 'field-token-bbbbbbbbbbbbbbbb',
  manage: 'admin-token-cccccccccccccccc',
};
const PUBLISHED = 'Iteration1';
const ITERATION = '22222222-3333-4444-8555-666666666666';
const jpeg = fixtureBytes(FIXTURES.coffee);

describe('roles', () => {
  let training: FakeTraining;
  let prediction: FakeCustomVision;
  let app: TestApp;

  beforeAll(async () => {
    training = await startFakeTraining({ key: 'T'.repeat(32) });
    prediction = await startFakeCustomVision(
      { projectId: training.projectId, publishedName: PUBLISHED, type: 'detect' },
      { key: 'P'.repeat(32) },
    );
    app = await startTestApp({
      CUSTOM_VISION_PREDICTION_ENDPOINT: prediction.url,
      CUSTOM_VISION_PREDICTION_KEY: 'P'.repeat(32),
      CUSTOM_VISION_PUBLISHED_NAME: PUBLISHED,
      CUSTOM_VISION_TRAINING_ENDPOINT: training.url,
      CUSTOM_VISION_TRAINING_KEY: 'T'.repeat(32),
      CUSTOM_VISION_PROJECT_ID: training.projectId,
      CUSTOM_VISION_TRAINING_TPS: '1000',
      // Today's form (no role) alongside the new ones: it means predict.
      ACCESS_TOKENS: `kiosk:${TOKENS.predict},field@contribute:${TOKENS.contribute},@manage:${TOKENS.manage}`,
    });
  });
  afterAll(async () => {
    await app?.close();
    await training?.close();
    await prediction?.close();
  });

  /** A request for each operation that passes every check but the role's. */
  const requestFor = (operation: (typeof TRAINING_OPERATIONS)[number]): [string, RequestInit] => {
    const params = { projectId: training.projectId, iterationId: ITERATION, domainId: training.domainId };
    const path = trainingPath('v3.3', operation, params);
    const query = operation.name === 'publishIteration' ? '?publishName=Field' : '';
    const body =
      operation.body === 'image' || operation.body === 'images'
        ? jpeg
        : operation.body === 'json'
          ? JSON.stringify({ images: [{ id: training.storedPredictions[0] }], regions: [], tags: [] })
          : undefined;
    return [path + query, { method: operation.method, ...(body ? { body } : {}) }];
  };

  describe.each(ROLES)('a %s token', (role) => {
    it.each(TRAINING_OPERATIONS.map((operation) => [operation.name, operation] as const))(
      '%s: refused with 403 outside its rights, let through within them',
      async (_name, operation) => {
        const [target, init] = requestFor(operation);
        const before = training.requests.length;
        const res = await app.app.request(target, {
          ...init,
          headers: { 'Training-Key': TOKENS[role] },
        });
        // A deletion let through answers 204, with no body.
        const text = await res.text();
        const body = (text ? JSON.parse(text) : {}) as { code?: string; message?: string };
        if (roleAllows(role, operation.role)) {
          expect([res.status, body.code]).not.toEqual([403, 'Forbidden']);
          expect(res.status).not.toBe(401);
        } else {
          expect(res.status).toBe(403);
          expect(body.code).toBe('Forbidden');
          expect(body.message).toContain(`the ${operation.role} role`);
          expect(body.message).not.toContain(TOKENS[role]);
          expect(training.requests.length).toBe(before);
        }
      },
    );

    it('may ask for predictions', async () => {
      const res = await app.app.request(
        `/customvision/v3.1/prediction/${training.projectId}/detect/iterations/${PUBLISHED}/image/nostore`,
        { method: 'POST', body: jpeg, headers: { 'Prediction-Key': TOKENS[role] } },
      );
      expect(res.status).toBe(200);
    });

    it('is told by /api/config what it may do', async () => {
      const res = await app.app.request('/api/config', {
        headers: { Authorization: `Bearer ${TOKENS[role]}` },
      });
      const config = (await res.json()) as {
        caller: { role: string; roles: string[] };
        training: { available: boolean; projectId: string; operations: string[] };
      };
      expect(config.caller).toEqual({ role, roles: ROLES.filter((r) => roleAllows(role, r)) });
      expect(config.training).toMatchObject({ available: true, projectId: training.projectId });
      // Forwarding: the local store's own operations (projects, thumbnails) are not offered.
      expect(config.training.operations).toEqual(
        TRAINING_OPERATIONS.filter((op) => roleAllows(role, op.role) && !op.localOnly).map((op) => op.name),
      );
    });
  });

  it('a kiosk token cannot delete images, and says which role can', async () => {
    const before = training.requests.length;
    const res = await app.app.request(
      `/customvision/v3.3/training/projects/${training.projectId}/images?imageIds=${ITERATION}`,
      { method: 'DELETE', headers: { 'Prediction-Key': TOKENS.predict } },
    );
    expect(res.status).toBe(403);
    expect(((await res.json()) as { message: string }).message).toMatch(/manage role .* predict role/);
    expect(training.requests.length).toBe(before);
  });
});

describe('the quick start (loopback, no tokens)', () => {
  it('lets the operator at the machine manage, and says so', async () => {
    const training = await startFakeTraining({ key: 'T'.repeat(32) });
    const app = await startTestApp({
      LOCAL_DETECTOR_WORKERS: '1',
      CUSTOM_VISION_TRAINING_ENDPOINT: training.url,
      CUSTOM_VISION_TRAINING_KEY: 'T'.repeat(32),
      CUSTOM_VISION_PROJECT_ID: training.projectId,
    });
    try {
      const config = (await (await app.app.request('/api/config')).json()) as { caller: { role: string } };
      expect(config.caller.role).toBe('manage');
      const res = await app.app.request(`/customvision/v3.3/training/projects/${training.projectId}/train`, {
        method: 'POST',
      });
      expect(res.status).toBe(200);
      expect(training.requests.at(-1)!.path).toMatch(/\/train$/);
    } finally {
      await app.close();
      await training.close();
    }
  });
});
