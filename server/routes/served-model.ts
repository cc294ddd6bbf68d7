// Which of the served models a request names (by project id and published name), refused as the cloud
// refuses a project or published name it does not have: the prediction routes and the model package
// answer an unknown model alike.
import { CvError, CvErrorCode } from '../http/cv-error.ts';
import { servedModels, type PredictionUpstream, type ServedModel } from '../upstreams/upstream.ts';

/**
 * The model served as this project and published name; a NotFoundProject or NotFoundIteration 404 (Custom
 * Vision's codes) when there is none. Without a published name, the project's first model.
 */
export function findServedModel(
  upstream: PredictionUpstream,
  projectId: string,
  publishedName?: string,
): ServedModel {
  const models = servedModels(upstream);
  const ofProject = models.filter((model) => model.projectId.toLowerCase() === projectId.toLowerCase());
  if (ofProject.length === 0) {
    const served = models.map((model) => model.projectId).join(', ');
    throw new CvError(
      404,
      CvErrorCode.NotFoundProject,
      `Project ${projectId} is not served here; this server serves project ${served} (see /api/config).`,
    );
  }
  const model =
    publishedName === undefined
      ? ofProject[0]
      : ofProject.find((candidate) => candidate.publishedName === publishedName);
  if (!model) {
    // The cloud answers an unknown published name with NotFoundIteration, "Invalid iteration".
    throw new CvError(
      404,
      CvErrorCode.NotFoundIteration,
      `Invalid iteration: no iteration is published as "${publishedName}" for this project (see /api/config).`,
    );
  }
  return model;
}

/** Whether a project is one of the upstream's (else it may be the local training store's). */
export const servesProject = (upstream: PredictionUpstream, projectId: string): boolean =>
  servedModels(upstream).some((model) => model.projectId.toLowerCase() === projectId.toLowerCase());
