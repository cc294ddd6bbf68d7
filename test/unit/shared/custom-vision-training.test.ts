import { describe, expect, it } from 'vitest';
import {
  matchTrainingPath,
  TRAINING_OPERATIONS,
  trainingPath,
} from '../../../src/shared/custom-vision-training.ts';
import { findRoute, SERVER_ROUTES } from '../../../src/shared/server-routes.ts';
import { roleAllows, ROLES, rolesWithin } from '../../../src/shared/roles.ts';

const PROJECT = '0F0F0F0F-1111-4222-8333-444455556666';
const ITERATION = '22222222-3333-4444-8555-666666666666';

describe('the training operations table', () => {
  it('reads every operation back from the path it builds, in both versions', () => {
    for (const operation of TRAINING_OPERATIONS) {
      // Every parameter a GUID; the project's as the path gives it.
      const names = [...operation.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
      const params = Object.fromEntries(
        names.map((name) => [name, name === 'projectId' ? PROJECT.toLowerCase() : ITERATION]),
      );
      for (const version of ['v3.3', 'v3.4-preview'] as const) {
        const match = matchTrainingPath(trainingPath(version, operation, params), operation.method);
        expect(match, `${version} ${operation.name}`).toMatchObject({
          kind: 'operation',
          version,
          operation,
        });
      }
    }
    // Names are unique: they name operations in logs and for other backends.
    expect(new Set(TRAINING_OPERATIONS.map((op) => op.name)).size).toBe(TRAINING_OPERATIONS.length);
  });

  it('matches fixed segments in any letter case and lower-cases the ids', () => {
    const match = matchTrainingPath(
      `/CustomVision/V3.3/Training/Projects/${PROJECT}/Iterations/${ITERATION}/`,
      'GET',
    );
    expect(match).toMatchObject({
      kind: 'operation',
      version: 'v3.3',
      operation: { name: 'getIteration' },
      params: { projectId: PROJECT.toLowerCase(), iterationId: ITERATION },
    });
  });

  it('tells a wrong method from a path that is no operation', () => {
    const wrong = matchTrainingPath(`/customvision/v3.3/training/projects/${PROJECT}/images`, 'PUT');
    expect(wrong.kind === 'method' && [...wrong.allowed].sort()).toEqual(['DELETE', 'GET', 'POST']);
    expect(matchTrainingPath(`/customvision/v3.3/training/projects/${PROJECT}/elsewhere`, 'GET').kind).toBe(
      'none',
    );
    expect(matchTrainingPath(`/customvision/v3.2/training/projects/${PROJECT}`, 'GET').kind).toBe('none');
    expect(matchTrainingPath(`/customvision/v3.3/training/projects/%E0%A4%A/tags`, 'GET').kind).toBe('none');
  });

  it('is one route of the server table, whose access asks the operation its role', () => {
    const route = findRoute(`/customvision/v3.4-preview/training/projects/${PROJECT}/images`);
    expect(route?.name).toBe('training');
    const access = SERVER_ROUTES.find((r) => r.name === 'training')!.access;
    if (typeof access !== 'object' || !('roleOf' in access))
      throw new Error('training access is per operation');
    const path = `/customvision/v3.3/training/projects/${PROJECT}/images`;
    expect(access.roleOf('POST', path)).toBe('contribute');
    expect(access.roleOf('DELETE', path)).toBe('manage');
    expect(access.roleOf('GET', '/customvision/v3.3/training/elsewhere')).toBe('contribute');
  });
});

describe('roles', () => {
  it('each has the rights of the ones before it', () => {
    expect(ROLES).toEqual(['predict', 'contribute', 'manage']);
    expect(rolesWithin('contribute')).toEqual(['predict', 'contribute']);
    expect(roleAllows('manage', 'predict')).toBe(true);
    expect(roleAllows('predict', 'contribute')).toBe(false);
    expect(roleAllows('contribute', 'manage')).toBe(false);
  });
});
