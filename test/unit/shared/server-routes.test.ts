import { describe, expect, it } from 'vitest';
import { findRoute, isServerPath, SERVER_ROUTES } from '../../../src/shared/server-routes.ts';

describe('the server route table', () => {
  it('puts every route under a path the service worker and the dev server leave to the server', () => {
    for (const route of SERVER_ROUTES) expect(isServerPath(route.shape), route.name).toBe(true);
  });

  it('finds each route by its path, Custom Vision segments in any letter case', () => {
    expect(findRoute('/api/health')?.name).toBe('health');
    expect(findRoute('/api/config')?.name).toBe('config');
    expect(findRoute('/metrics')?.name).toBe('metrics');
    expect(findRoute('/pair')?.name).toBe('pair');
    expect(findRoute('/customvision/v3.0/Prediction/p/detect/iterations/i/image')?.name).toBe('prediction');
    expect(findRoute('/api/health/x')).toBeUndefined();
    expect(findRoute('/customvision/v3.2/prediction/p')).toBeUndefined();
  });

  it('tells server paths from the app', () => {
    expect(isServerPath('/api')).toBe(true);
    expect(isServerPath('/CustomVision/v3.1/x')).toBe(true);
    expect(isServerPath('/')).toBe(false);
    expect(isServerPath('/apiary.html')).toBe(false);
    expect(isServerPath('/assets/pair-1a2b.js')).toBe(false);
  });
});
