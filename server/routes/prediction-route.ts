// Recognises Custom Vision prediction paths exactly as the cloud lays them out:
//   /customvision/{v3.0|v3.1}/prediction/{projectId}/{detect|classify}/iterations/{publishedName}/{image|url}[/nostore]
// The fixed segments are matched case-insensitively, as portal URLs write "Prediction" with a capital P.
import type { ProjectType } from '../env.ts';

export interface PredictionRoute {
  readonly version: 'v3.0' | 'v3.1';
  readonly projectId: string;
  readonly projectType: ProjectType;
  readonly publishedName: string;
  readonly input: 'image' | 'url';
  readonly store: boolean;
}

const PATTERN =
  /^\/customvision\/(v3\.[01])\/prediction\/([^/]+)\/(detect|classify)\/iterations\/([^/]+)\/(image|url)(\/nostore)?\/?$/i;

export const PREDICTION_PREFIX = '/customvision/';

export function parsePredictionPath(pathname: string): PredictionRoute | undefined {
  const match = PATTERN.exec(pathname);
  if (!match) return undefined;
  const [, version, projectId, projectType, encodedName, input, nostore] = match;
  let publishedName: string;
  try {
    publishedName = decodeURIComponent(encodedName!);
  } catch {
    return undefined;
  }
  return {
    version: version!.toLowerCase() as PredictionRoute['version'],
    projectId: projectId!.toLowerCase(),
    projectType: projectType!.toLowerCase() as ProjectType,
    publishedName,
    input: input!.toLowerCase() as PredictionRoute['input'],
    store: nostore === undefined,
  };
}

/** The path of a route on the cloud (or on this server), for the client and for forwarding. */
export function predictionPath(route: PredictionRoute): string {
  return (
    `/customvision/${route.version}/prediction/${route.projectId}/${route.projectType}/iterations/` +
    `${encodeURIComponent(route.publishedName)}/${route.input}${route.store ? '' : '/nostore'}`
  );
}
