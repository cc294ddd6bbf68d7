// What the editor needs to know of the training project: whether it takes boxes (object detection) or
// whole-image tags (classification, one tag or several), and its tags. Read once per project and kept for
// the page's life: tags added from this device are added here too, so the next teach has them at once.
import type { TrainingClient, TrainingFailure } from '../../api/training-client.ts';
import type { ProjectTag } from './editor-state.ts';

export type TeachProjectKind =
  { readonly kind: 'detection' } | { readonly kind: 'classification'; readonly multilabel: boolean };

export interface TeachProject {
  readonly id: string;
  readonly name: string;
  readonly type: TeachProjectKind;
  readonly tags: readonly ProjectTag[];
}

export type TeachProjectOutcome =
  { readonly ok: true; readonly project: TeachProject } | { readonly ok: false; readonly message: string };

const known = new Map<string, TeachProject>();

function explain(failure: TrainingFailure): string {
  if (failure.kind === 'unreachable') {
    return "Can't reach the Sightline server to read the project's tags. The picture is kept: try again when it answers.";
  }
  return `The server could not give the project's tags (${failure.message}).`;
}

/** The project as the editor needs it; answered from memory after the first time. */
export async function loadTeachProject(
  client: TrainingClient,
  projectId: string,
  signal?: AbortSignal,
): Promise<TeachProjectOutcome> {
  const remembered = known.get(projectId);
  if (remembered) return { ok: true, project: remembered };
  const [project, tags] = await Promise.all([client.getProject(signal), client.getTags(signal)]);
  if (!project.ok) return { ok: false, message: explain(project.failure) };
  if (!tags.ok) return { ok: false, message: explain(tags.failure) };
  let type: TeachProjectKind = { kind: 'detection' };
  if (project.value.domainId !== undefined) {
    const domain = await client.getDomain(project.value.domainId, signal);
    if (!domain.ok) return { ok: false, message: explain(domain.failure) };
    if (domain.value.type === 'Classification') {
      type = { kind: 'classification', multilabel: project.value.classificationType === 'Multilabel' };
    }
  }
  const loaded: TeachProject = {
    id: projectId,
    name: project.value.name,
    type,
    tags: tags.value.map(({ id, name }) => ({ id, name })),
  };
  known.set(projectId, loaded);
  return { ok: true, project: loaded };
}

/** Remembers a tag created from this device, so the project's list has it without asking again. */
export function rememberTag(projectId: string, tag: ProjectTag): void {
  const project = known.get(projectId);
  if (!project || project.tags.some((known) => known.id === tag.id)) return;
  known.set(projectId, { ...project, tags: [...project.tags, tag] });
}
