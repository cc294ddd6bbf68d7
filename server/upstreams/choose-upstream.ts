// Which upstream answers prediction requests, and how it is built: the one place that knows the kinds.
// A new kind of upstream is its own module (settings and class) plus one branch in parseUpstreamConfig
// and one case in createUpstream.
import { text, type Env } from '../env-parse.ts';
import { PENDING_MS } from '../limits/windows.ts';
import type { Logger } from '../observability/logger.ts';
import { registerSecrets } from '../observability/secrets.ts';
import { CustomVisionUpstream } from './custom-vision.ts';
import path from 'node:path';
import { identifyExport, identifyFolderExports } from '../model-export/read-export.ts';
import { ExportUpstream } from './export.ts';
import { fetchesPublishedIteration, parseExportConfig, type ExportUpstreamConfig } from './export-config.ts';
import { selectServedExports, servedAsConfigured, type ServedExport } from './export-selection.ts';
import { fetchProjectTags, fetchPublishedExport } from './export-training.ts';
import { parseCustomVisionConfig, type CustomVisionConfig } from './custom-vision-config.ts';
import { LocalUpstream } from './local.ts';
import { parseLocalDetectorConfig, type LocalDetectorConfig } from './local-config.ts';
import type { PredictionUpstream } from './upstream.ts';

export type UpstreamConfig =
  | ({ readonly kind: 'custom-vision' } & CustomVisionConfig)
  | ({ readonly kind: 'local' } & LocalDetectorConfig)
  | ({ readonly kind: 'export' } & ExportUpstreamConfig);

export type UpstreamKind = UpstreamConfig['kind'];

/**
 * The team's exported model when CUSTOM_VISION_EXPORT is set, else Custom Vision when its endpoint is set,
 * else the embedded local detector (the quick start).
 */
export function parseUpstreamConfig(env: Env, cores: number): { config: UpstreamConfig; warnings: string[] } {
  const endpoint = text(env, 'CUSTOM_VISION_PREDICTION_ENDPOINT');
  const exportSource = text(env, 'CUSTOM_VISION_EXPORT');
  if (exportSource !== undefined) {
    return {
      config: { kind: 'export', ...parseExportConfig(env, exportSource, cores) },
      warnings:
        endpoint !== undefined
          ? [
              'CUSTOM_VISION_EXPORT is set: the exported model answers predictions, not CUSTOM_VISION_PREDICTION_ENDPOINT.',
            ]
          : [],
    };
  }
  if (endpoint !== undefined) {
    return { config: { kind: 'custom-vision', ...parseCustomVisionConfig(env, endpoint) }, warnings: [] };
  }
  const strays = [
    'CUSTOM_VISION_PREDICTION_KEY',
    'CUSTOM_VISION_PROJECT_ID',
    'CUSTOM_VISION_PUBLISHED_NAME',
  ].filter((name) => text(env, name) !== undefined);
  return {
    config: { kind: 'local', ...parseLocalDetectorConfig(env, cores) },
    warnings: strays.length
      ? [`${strays.join(', ')} set but CUSTOM_VISION_PREDICTION_ENDPOINT is not: serving the local detector.`]
      : [],
  };
}

/** How the prediction budget treats an upstream's calls. */
export interface UpstreamBudgetTerms {
  /** What the budget belongs to; calls to a shared service are shared through Redis when there is one. */
  readonly scope: string;
  readonly shared: boolean;
  /** At least this many per window (the local detector's queue pushes back instead). */
  readonly burst?: number;
  /** How long an admitted call may wait to go out and still count. */
  readonly pendingMs?: number;
}

export interface CreatedUpstream {
  readonly upstream: PredictionUpstream;
  /** Resolves once it can answer predictions. */
  readonly ready: Promise<void>;
  readonly budget: UpstreamBudgetTerms;
  /** For the start-up log line: what is served, from where. */
  readonly description: string;
}

/**
 * With the Training API and a folder of exports, the iteration published under CUSTOM_VISION_PUBLISHED_NAME
 * is fetched into the folder first (unless there already). A failure is logged, and what the folder holds
 * is served meanwhile.
 */
async function fetchServedExport(config: ExportUpstreamConfig, log: Logger): Promise<string | undefined> {
  if (!fetchesPublishedIteration(config)) return undefined;
  try {
    return await fetchPublishedExport(config.training, {
      publishedName: config.publishedName,
      platform: config.platform,
      folder: config.source,
      onProgress: (message) => log.info({ export: config.source }, message),
    });
  } catch (error) {
    log.warn(
      { error: (error as Error).message },
      'the published iteration could not be fetched; serving the exports in the folder',
    );
    return undefined;
  }
}

/** The exports to serve: the file, or every export of the folder (see selectServedExports). */
async function findServedExports(
  config: ExportUpstreamConfig,
  fetched: string | undefined,
  log: Logger,
): Promise<readonly ServedExport[]> {
  const found = config.sourceIsFolder
    ? await identifyFolderExports(config.source)
    : [await identifyExport(config.source)];
  const { served, skipped } = selectServedExports(config, found, fetched);
  for (const { source, reason } of skipped) log.info({ export: source }, `not served: ${reason}`);
  return served;
}

/** Beyond a call's deadline, for its own bookkeeping after it: never an undercount. */
const PENDING_SLACK_MS = 1_000;

/** A forwarded call may wait for a connection up to its deadline: it must count as pending that long. */
export const forwardedPendingMs = (timeoutMs: number) => Math.max(PENDING_MS, timeoutMs + PENDING_SLACK_MS);

/** Builds the upstream; an export is read and recognised first, so a bad one stops the start with its reason. */
export async function createUpstream(config: UpstreamConfig, log: Logger): Promise<CreatedUpstream> {
  switch (config.kind) {
    case 'export': {
      const fetched = await fetchServedExport(config, log);
      const served = await findServedExports(config, fetched, log);
      const upstream = new ExportUpstream(served, config);
      if (config.training) {
        // The project's tags name the first export's labels: it is the one served as that project.
        fetchProjectTags(config.training).then(
          (tags) => upstream.primary.useKnownTags(tags),
          (error: Error) =>
            log.warn(
              { error: error.message },
              "the project's tag ids could not be fetched; the export's labels get ids of their own",
            ),
        );
      }
      const ready = upstream.start();
      ready.catch((error: Error) => log.error({ error: error.message }, 'an exported model failed to load'));
      if (fetchesPublishedIteration(config) && config.refreshMs > 0) {
        // A newly published iteration is fetched and served without a restart, in place of the one served
        // under its published name; its devices get it at their next load (the package's ETag changes).
        upstream.watch(async () => {
          const newest = await fetchServedExport(config, log);
          const primary = upstream.primary;
          if (!newest || newest === primary.current.source) return;
          try {
            await primary.replaceExport(servedAsConfigured(config, await identifyExport(newest)));
            log.info({ export: newest }, 'now serving the newly published iteration');
          } catch (error) {
            log.error(
              { error: (error as Error).message },
              'the newly published iteration could not be served; the previous one stays',
            );
          }
        }, config.refreshMs);
      }
      const names = served
        .map(
          (entry) =>
            `${path.basename(entry.source)} (${entry.plan.summary}) as project ${entry.projectId}, published name ${entry.publishedName}`,
        )
        .join('; ');
      return {
        upstream,
        ready,
        // Its capacity is this instance's own, never shared.
        budget: { scope: 'export', shared: false, burst: upstream.workers + config.queueLimit },
        description: `${served.length === 1 ? 'the exported model' : `${served.length} exported models:`} ${names}, ${upstream.workers} worker(s)`,
      };
    }
    case 'custom-vision': {
      registerSecrets(config.predictionKey);
      const host = new URL(config.endpoint).host;
      return {
        upstream: new CustomVisionUpstream(config),
        ready: Promise.resolve(),
        // Every instance forwarding to one resource shares its limit. A call may wait for a connection
        // up to its deadline: it must count as pending at least that long.
        budget: {
          scope: host,
          shared: true,
          pendingMs: forwardedPendingMs(config.timeoutMs),
        },
        description: `Custom Vision project ${config.projectId} (${config.publishedName}) at ${host}`,
      };
    }
    case 'local': {
      const local = new LocalUpstream(config);
      const ready = local.start();
      ready.catch((error: Error) =>
        log.error({ error: error.message }, 'the local detector failed to start'),
      );
      return {
        upstream: local,
        ready,
        // Its capacity is this instance's own, never shared.
        budget: { scope: 'local', shared: false, burst: config.workers + config.queueLimit },
        description: `the local detector (${config.workers} worker(s))`,
      };
    }
  }
}
