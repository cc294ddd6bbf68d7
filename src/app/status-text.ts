// The words the app shell shows for the model in use and the server's health. Pure functions, kept apart
// from the element so the wording can be unit-tested in Node without a DOM.
import { ServerInfoError, type ModelInfo, type ServerHealth } from '../api/server-info.ts';
import type { PollState } from '../controllers/poll-controller.ts';

export interface ModelText {
  /** What is being served, e.g. "Local COCO detector (…) · coco-centernet". */
  readonly name: string;
  /** Where predictions are computed. */
  readonly source: string;
}

export function describeModel(model: ModelInfo): ModelText {
  if (model.source === 'local') {
    // The server falls back to the published name when it has no display name; say what it is instead.
    const name = model.name === model.publishedName ? 'Local COCO detector' : model.name;
    return {
      name: `${name} · ${model.publishedName}`,
      source: `Local ${model.type === 'classify' ? 'classifier' : 'detector'} on the Sightline server: no cloud calls, works offline`,
    };
  }
  return {
    name: `Custom Vision project ${model.projectId} · ${model.publishedName} (${model.type})`,
    source: 'Azure Custom Vision, called by the Sightline server (the key never reaches this browser)',
  };
}

/**
 * Said under the model in use when the server serves several, so that the card is not read as all there
 * is; undefined for a server with one.
 */
export function describeModelChoice(served: number): string | undefined {
  if (served < 2) return undefined;
  return `One of ${served} models on this server: Settings → Model picks another.`;
}

export const HealthState = {
  checking: 'checking',
  ready: 'ready',
  starting: 'starting',
  unreachable: 'unreachable',
  error: 'error',
} as const;
export type HealthState = (typeof HealthState)[keyof typeof HealthState];

export interface HealthText {
  readonly state: HealthState;
  /** One word, e.g. "Ready"; the only text in the element tests look at, so it never says "not ready". */
  readonly label: string;
  readonly detail: string;
  /** For an operator, shown on request: addresses, status codes, what to run. */
  readonly technical?: string;
}

export interface ProblemText {
  /** In the words of the person using the app: what happened and what happens next. */
  readonly message: string;
  readonly technical?: string;
}

/** A failure talking to the server, split into words for the user and the technical detail. */
export function describeServerProblem(error: unknown): ProblemText {
  if (error instanceof ServerInfoError) {
    if (error.kind === 'invalid') {
      return {
        message:
          'The Sightline server sent an answer this version of the app does not understand. Reloading the page may help.',
        technical: error.message,
      };
    }
    return error.technical
      ? { message: error.message, technical: error.technical }
      : { message: error.message };
  }
  const technical = error instanceof Error ? error.message : String(error);
  return {
    message: 'Something went wrong talking to the Sightline server. This page tries again by itself.',
    technical,
  };
}

export function describeHealth(poll: PollState<ServerHealth>): HealthText {
  switch (poll.kind) {
    case 'waiting':
      return {
        state: 'checking',
        label: 'Checking…',
        detail: 'Asking the Sightline server how it is doing.',
      };
    case 'value': {
      const { ready, detail } = poll.value;
      return ready
        ? { state: 'ready', label: 'Ready', detail: detail || 'The model is loaded and answering.' }
        : {
            state: 'starting',
            label: 'Starting',
            detail: detail || 'The server is up but the model is still loading; this page updates by itself.',
          };
    }
    case 'error': {
      const { error } = poll;
      const { message, technical } = describeServerProblem(error);
      const extra = technical === undefined ? {} : { technical };
      if (error instanceof ServerInfoError && error.kind === 'unreachable') {
        return { state: 'unreachable', label: 'Unreachable', detail: message, ...extra };
      }
      return { state: 'error', label: 'Error', detail: message, ...extra };
    }
  }
}

/** "12 s", "4 min", "3 h 5 min": uptime at a glance, not a stopwatch. */
export function formatUptime(seconds: number): string {
  if (seconds < 60) return `${Math.floor(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return `${hours} h ${minutes % 60} min`;
}
