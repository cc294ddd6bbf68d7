// Which exports a CUSTOM_VISION_EXPORT serves, under which project id and published name, and how many
// worker threads each gets: decided from what is on disk and the settings, before any worker starts.
import path from 'node:path';
import type { ExportIdentity } from '../model-export/read-export.ts';
import { fetchesPublishedIteration, type ExportUpstreamConfig } from './export-config.ts';

/** One export as it is served: its file, what it is, and the names the prediction routes know it by. */
export interface ServedExport {
  readonly source: string;
  readonly plan: ExportIdentity['plan'];
  readonly projectId: string;
  readonly publishedName: string;
  readonly iterationId: string;
}

export interface ExportSelection {
  /** The first is the configured one: the fetched export, else the newest. */
  readonly served: readonly ServedExport[];
  /** Exports left in the folder but not served, with the reason (for the start-up log). */
  readonly skipped: readonly { readonly source: string; readonly reason: string }[];
}

/** A fetched export is written as `<iteration id>.zip` (see fetchPublishedExport). */
const FETCHED_NAME = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.zip$/i;

const publishedNameOf = (source: string) => path.basename(source).replace(/\.zip$/i, '');

/**
 * The served names of the first export (the one fetched, else the newest): the settings' when set, so a
 * deployment's configured ids keep naming the model they named when the folder held one export, and the
 * fetched iteration keeps the training project's id (the published-iteration watch asks that project).
 */
export function servedAsConfigured(config: ExportUpstreamConfig, found: ExportIdentity): ServedExport {
  return {
    source: found.source,
    plan: found.plan,
    projectId: config.projectId ?? found.derivedProjectId,
    publishedName: config.publishedName ?? publishedNameOf(found.source),
    iterationId: found.iterationId,
  };
}

/** Any other export of the folder: under the project id derived from it and its file's name. */
const servedAsFound = (found: ExportIdentity): ServedExport => ({
  source: found.source,
  plan: found.plan,
  projectId: found.derivedProjectId,
  publishedName: publishedNameOf(found.source),
  iterationId: found.iterationId,
});

/**
 * Every export found (newest first) is served, with two exceptions. When the server fetches the published
 * iteration itself, the zips it fetched before (named by their iteration id) were replaced by the newer one
 * while it ran, so they stay replaced after a restart: only the current fetch (else the newest of them)
 * is served. And two exports under the same project id and published name stop the start, naming both
 * files: serving one and skipping the other would answer with a model the operator may not have meant,
 * with nothing on the client's side to tell which.
 */
export function selectServedExports(
  config: ExportUpstreamConfig,
  found: readonly ExportIdentity[],
  fetched?: string,
): ExportSelection {
  const skipped: { source: string; reason: string }[] = [];
  let candidates = [...found];
  if (fetchesPublishedIteration(config)) {
    const fetches = candidates.filter((entry) => FETCHED_NAME.test(path.basename(entry.source)));
    const current = fetches.find((entry) => entry.source === fetched) ?? fetches[0];
    for (const earlier of fetches.filter((entry) => entry !== current)) {
      skipped.push({
        source: earlier.source,
        reason: `an earlier fetch of the iteration published as "${config.publishedName}", replaced by ${path.basename(current!.source)}`,
      });
    }
    candidates = candidates.filter((entry) => entry === current || !fetches.includes(entry));
    if (current) candidates = [current, ...candidates.filter((entry) => entry !== current)];
  }
  const [first, ...others] = candidates;
  if (!first) {
    throw new Error(
      `CUSTOM_VISION_EXPORT: ${config.source} holds no export zip; put a Custom Vision export (ONNX or TensorFlowJs) there.`,
    );
  }
  const served = [servedAsConfigured(config, first), ...others.map(servedAsFound)];
  const byKey = new Map<string, ServedExport>();
  for (const entry of served) {
    const key = `${entry.projectId.toLowerCase()}/${entry.publishedName}`;
    const same = byKey.get(key);
    if (same) {
      throw new Error(
        `CUSTOM_VISION_EXPORT: ${path.basename(same.source)} and ${path.basename(entry.source)} would both be served as project ${entry.projectId}, published name "${entry.publishedName}"; rename or remove one of them.`,
      );
    }
    byKey.set(key, entry);
  }
  return { served, skipped };
}

/**
 * EXPORT_WORKERS and EXPORT_QUEUE_LIMIT are for all the exports together: each worker holds a whole
 * model, so N exports with a full pool each would hold N times the memory a small machine was sized for.
 * They are shared out newest first, at least one worker each (a model without a worker cannot answer,
 * so more exports than EXPORT_WORKERS get one worker each), the wait queue in proportion.
 */
export function shareWorkers(
  workers: number,
  queueLimit: number,
  exports: number,
): { workers: number; queueLimit: number }[] {
  const counts = Array.from({ length: exports }, (_, index) =>
    Math.max(1, Math.floor(workers / exports) + (index < workers % exports ? 1 : 0)),
  );
  const total = counts.reduce((sum, count) => sum + count, 0);
  return counts.map((count) => ({
    workers: count,
    queueLimit: Math.round((queueLimit * count) / total),
  }));
}
