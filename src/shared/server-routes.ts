// The server's routes in one table: the server routes by it (and answers 404 and 405 from it, checks
// access by it and names requests in its logs and metrics by it); the service worker and the dev server
// read from it which paths belong to the server rather than to the app. A new family of routes is one
// entry here and one handler on the server.
//
// Runtime-agnostic: no DOM and no Node, since the server, the service worker and vite.config.ts all
// import it.

import { matchTrainingPath, TRAINING_PREFIX } from './custom-vision-training.ts';
import type { Role } from './roles.ts';

/**
 * Who may call a route: anyone (probes, pairing); a caller holding any device token; one whose token's
 * role is at least `role`; or one whose role is at least what the operation at that path needs
 * (`roleOf`), which names the least role there is any use in for a path that is no operation.
 */
export type RouteAccess =
  'open' | 'token' | { readonly role: Role } | { readonly roleOf: (method: string, path: string) => Role };

export const ROUTE_NAMES = [
  'health',
  'ready',
  'pair',
  'config',
  'metrics',
  'prediction',
  'training',
  'model-package',
] as const;
export type RouteName = (typeof ROUTE_NAMES)[number];

export interface ServerRoute {
  readonly name: RouteName;
  /** Matched against the whole path. */
  readonly pattern: RegExp;
  /** What a person reads in a 404 that lists the routes. */
  readonly shape: string;
  readonly methods: readonly string[];
  readonly access: RouteAccess;
}

const READ = ['GET', 'HEAD'] as const;

export const SERVER_ROUTES: readonly ServerRoute[] = [
  {
    name: 'prediction',
    // Custom Vision's fixed segments are matched case-insensitively (portal URLs write "Prediction");
    // the handler parses the rest and says what is wrong with a path it cannot read.
    pattern: /^\/customvision\/v3\.[01]\/prediction\//i,
    shape:
      '/customvision/v3.1/prediction/{projectId}/{detect|classify}/iterations/{publishedName}/{image|url}[/nostore]',
    methods: ['POST'],
    access: { role: 'predict' },
  },
  {
    name: 'training',
    // The operations and the role each needs are in custom-vision-training.ts; the handler says what is
    // wrong with a training path that is none of them.
    pattern: TRAINING_PREFIX,
    shape: '/customvision/{v3.3|v3.4-preview}/training/projects/{projectId}/...',
    methods: ['GET', 'POST', 'DELETE'],
    access: {
      roleOf: (method, path) => {
        const match = matchTrainingPath(path, method);
        return match.kind === 'operation' ? match.operation.role : 'contribute';
      },
    },
  },
  { name: 'health', pattern: /^\/api\/health$/, shape: '/api/health', methods: READ, access: 'open' },
  { name: 'ready', pattern: /^\/api\/ready$/, shape: '/api/ready', methods: READ, access: 'open' },
  { name: 'config', pattern: /^\/api\/config$/, shape: '/api/config', methods: READ, access: 'token' },
  { name: 'metrics', pattern: /^\/metrics$/, shape: '/metrics', methods: READ, access: 'token' },
  { name: 'pair', pattern: /^\/pair$/, shape: '/pair', methods: ['GET', 'HEAD', 'POST'], access: 'open' },
  // The served model itself, for devices that run it: whoever may ask it for predictions may have it.
  {
    name: 'model-package',
    pattern: /^\/api\/model-package$/,
    shape: '/api/model-package',
    methods: READ,
    access: { role: 'predict' },
  },
];

/**
 * The first path segments that belong to the server: a path under one of them is never the app's, so the
 * service worker leaves it to the network, the dev server forwards it, and the server answers an unknown
 * one with a JSON 404 rather than a file.
 */
export const SERVER_PATH_ROOTS = ['/api', '/customvision', '/pair', '/metrics'] as const;

export function findRoute(path: string): ServerRoute | undefined {
  return SERVER_ROUTES.find((route) => route.pattern.test(path));
}

export function isServerPath(path: string): boolean {
  const lower = path.toLowerCase();
  return SERVER_PATH_ROOTS.some((root) => lower === root || lower.startsWith(`${root}/`));
}
