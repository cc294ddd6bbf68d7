// The import layers of the browser code (src/), as data for the layering check. Each file belongs to the
// rule whose pathPrefix its path (from the repository root) starts with; the longest prefix wins. A file
// may import from its own layer and from the layers its rule lists, nothing else: each layer sees only
// the layers below it, so nothing imports upward.
//
//   main.ts → app (the shell) → components (elements only) → controllers (bind services to elements)
//     → services (api, camera, pipeline, worker client, history, overlay, kiosk, pwa, settings)
//     → shared (no DOM, no Node: the server imports it too)
//
// Services may import each other, without cycles. The frame worker and the service worker are programs
// of their own, built apart from the page: they may import only what they need below them.

export interface LayerRule {
  /** The layer's name: what mayImport lists, and what the check reports. */
  readonly layer: string;
  /** The files of this rule: those whose path starts with this (a folder ends in '/'). */
  readonly pathPrefix: string;
  /** The other layers this rule's files may import from (their own layer is always allowed). */
  readonly mayImport: readonly string[];
}

const SERVICES = ['services', 'shared'] as const;

export const SRC_LAYERS: readonly LayerRule[] = [
  { layer: 'main', pathPrefix: 'src/main.ts', mayImport: ['app', 'components', 'controllers', ...SERVICES] },
  { layer: 'app', pathPrefix: 'src/app/', mayImport: ['components', 'controllers', ...SERVICES] },
  { layer: 'components', pathPrefix: 'src/components/', mayImport: ['controllers', ...SERVICES] },
  { layer: 'controllers', pathPrefix: 'src/controllers/', mayImport: [...SERVICES] },
  { layer: 'services', pathPrefix: 'src/api/', mayImport: ['shared'] },
  { layer: 'services', pathPrefix: 'src/camera/', mayImport: ['shared'] },
  { layer: 'services', pathPrefix: 'src/history/', mayImport: ['shared'] },
  { layer: 'services', pathPrefix: 'src/kiosk/', mayImport: ['shared'] },
  { layer: 'services', pathPrefix: 'src/overlay/', mayImport: ['shared'] },
  { layer: 'services', pathPrefix: 'src/pipeline/', mayImport: ['shared'] },
  { layer: 'services', pathPrefix: 'src/pwa/', mayImport: ['shared'] },
  { layer: 'services', pathPrefix: 'src/settings/', mayImport: ['shared'] },
  { layer: 'services', pathPrefix: 'src/teach/', mayImport: ['shared'] },
  { layer: 'services', pathPrefix: 'src/worker/', mayImport: ['shared'] },
  { layer: 'services', pathPrefix: 'src/device/', mayImport: ['shared'] },
  { layer: 'service-worker', pathPrefix: 'src/sw/', mayImport: ['shared'] },
  { layer: 'shared', pathPrefix: 'src/shared/', mayImport: [] },
];
