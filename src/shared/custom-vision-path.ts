// The grammar of Custom Vision prediction paths, as the cloud lays them out:
//   /customvision/{v3.0|v3.1}/prediction/{projectId}/{detect|classify}/iterations/{publishedName}/{image|url}[/nostore]
// Both the browser (which builds the path it POSTs to) and the server (which routes and forwards it) speak
// it, so it lives here with no DOM and no Node types. The fixed segments are matched case-insensitively,
// as portal URLs write "Prediction" with a capital P.

export type PredictionVersion = 'v3.0' | 'v3.1';
export const PREDICTION_PROJECT_TYPES = ['detect', 'classify'] as const;
export type PredictionProjectType = (typeof PREDICTION_PROJECT_TYPES)[number];
export type PredictionInput = 'image' | 'url';

export interface PredictionRoute {
  readonly version: PredictionVersion;
  readonly projectId: string;
  readonly projectType: PredictionProjectType;
  readonly publishedName: string;
  readonly input: PredictionInput;
  /** The storing route (Custom Vision keeps the image for active learning), i.e. no `/nostore`. */
  readonly store: boolean;
}

export const PREDICTION_PREFIX = '/customvision/';

/** The version new paths are built with when the server names none. */
export const DEFAULT_PREDICTION_VERSION: PredictionVersion = 'v3.1';

const PATTERN =
  /^\/customvision\/(v3\.[01])\/prediction\/([^/]+)\/(detect|classify)\/iterations\/([^/]+)\/(image|url)(\/nostore)?\/?$/i;

/** Reads a path (without its query) into its parts, or undefined when it is not a prediction path. */
export function parsePredictionPath(pathname: string): PredictionRoute | undefined {
  const match = PATTERN.exec(pathname);
  if (!match) return undefined;
  const [, version, encodedProject, projectType, encodedName, input, nostore] = match;
  let projectId: string;
  let publishedName: string;
  try {
    projectId = decodeURIComponent(encodedProject!);
    publishedName = decodeURIComponent(encodedName!);
  } catch {
    return undefined;
  }
  return {
    version: version!.toLowerCase() as PredictionVersion,
    projectId: projectId.toLowerCase(),
    projectType: projectType!.toLowerCase() as PredictionProjectType,
    publishedName,
    input: input!.toLowerCase() as PredictionInput,
    store: nostore === undefined,
  };
}

/** The path of a route, on the cloud or on the Sightline server (the same path on both). */
export function predictionPath(route: PredictionRoute): string {
  return (
    `/customvision/${route.version}/prediction/${encodeURIComponent(route.projectId)}/${route.projectType}` +
    `/iterations/${encodeURIComponent(route.publishedName)}/${route.input}${route.store ? '' : '/nostore'}`
  );
}

/**
 * The route to POST to for a model's `predictionPath` (its `/image/nostore` form): with `store` it becomes
 * the storing route, `/image`. Either form is accepted, case-insensitively (as the server matches), and a
 * query string is kept. A path that ends in neither form is returned unchanged.
 */
export function predictionPathFor(basePath: string, store: boolean): string {
  const queryAt = basePath.indexOf('?');
  const path = queryAt === -1 ? basePath : basePath.slice(0, queryAt);
  const query = queryAt === -1 ? '' : basePath.slice(queryAt);
  const noStore = /\/nostore\/?$/i;
  if (store) return noStore.test(path) ? path.replace(noStore, '') + query : basePath;
  if (noStore.test(path)) return basePath;
  return /\/(?:image|url)\/?$/i.test(path) ? `${path.replace(/\/$/, '')}/nostore${query}` : basePath;
}
