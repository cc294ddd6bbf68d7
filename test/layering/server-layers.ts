// The server's layers, top to bottom: each may import from itself and the layers it lists, never from a
// layer above. The entry points compose everything; app.ts routes; routes use the services (upstreams,
// which the budget in limits admits; security); services use the detector and the infrastructure (HTTP helpers, observability,
// resilience, settings parsing, worker threads); everything may use the runtime-agnostic grammar in src/shared.
import type { LayerRule } from './layers.ts';

const INFRA = ['server-infrastructure', 'shared'];
const SERVICES = [
  'server-upstreams',
  'server-security',
  'server-limits',
  'server-training-store',
  'server-detector',
  'server-model-export',
  ...INFRA,
];

export const SERVER_LAYERS: readonly LayerRule[] = [
  // The entry points: start, dev, bundle, healthcheck, build freshness. Anything on the server below them.
  {
    layer: 'server-entry',
    pathPrefix: 'server/',
    mayImport: ['server-compose', 'server-app', 'server-routes', ...SERVICES],
  },
  {
    layer: 'server-compose',
    pathPrefix: 'server/server.ts',
    mayImport: ['server-app', 'server-routes', ...SERVICES],
  },
  {
    layer: 'server-compose',
    pathPrefix: 'server/env.ts',
    mayImport: ['server-app', 'server-routes', ...SERVICES],
  },
  { layer: 'server-app', pathPrefix: 'server/app.ts', mayImport: ['server-routes', ...SERVICES] },
  { layer: 'server-routes', pathPrefix: 'server/routes/', mayImport: SERVICES },
  // Upstreams are admitted by the budget (limits); the budget knows nothing of upstreams.
  {
    layer: 'server-upstreams',
    pathPrefix: 'server/upstreams/',
    mayImport: ['server-limits', 'server-training-store', 'server-detector', 'server-model-export', ...INFRA],
  },
  // The local training store (database, image files, Custom Vision's shapes); the local-training
  // upstream answers the training routes from it, and the dataset CLI reads it.
  {
    layer: 'server-training-store',
    pathPrefix: 'server/training-store/',
    mayImport: ['server-detector', ...INFRA],
  },
  { layer: 'server-security', pathPrefix: 'server/security/', mayImport: INFRA },
  { layer: 'server-limits', pathPrefix: 'server/limits/', mayImport: INFRA },
  { layer: 'server-detector', pathPrefix: 'server/detector/', mayImport: INFRA },
  // Exported Custom Vision models run in worker threads (the image limits are the detector's).
  {
    layer: 'server-model-export',
    pathPrefix: 'server/model-export/',
    mayImport: ['server-detector', ...INFRA],
  },
  { layer: 'server-infrastructure', pathPrefix: 'server/http/', mayImport: ['shared'] },
  { layer: 'server-infrastructure', pathPrefix: 'server/observability/', mayImport: ['shared'] },
  { layer: 'server-infrastructure', pathPrefix: 'server/resilience/', mayImport: ['shared'] },
  { layer: 'server-infrastructure', pathPrefix: 'server/env-parse.ts', mayImport: ['shared'] },
  // Worker threads and the pool the detector and the exported models run theirs in.
  { layer: 'server-infrastructure', pathPrefix: 'server/workers/', mayImport: ['shared'] },
];
