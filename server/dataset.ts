// npm run dataset -- export | push: the local training store as a dataset.
//
//   npm run dataset -- export [--project <id>] [--out <dir>]
//     writes the project (default: the local detector's) as COCO JSON: <dir>/annotations.json and
//     <dir>/images/ (default dir: ./dataset-<project id>).
//   npm run dataset -- push [--project <id>] [--to <Custom Vision project id>]
//     uploads it to a Custom Vision project through the Training API, with CUSTOM_VISION_TRAINING_ENDPOINT
//     and CUSTOM_VISION_TRAINING_KEY (and CUSTOM_VISION_PROJECT_ID unless --to names the project), read
//     from the environment or .env as the server reads them; never from the command line, where other
//     users of the machine could read the key. Running it again resumes: what is there is skipped.
//
// Both read the store as it is on disk (DATA_DIR, as the server has it), beside a running server.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ConfigError, text } from './env-parse.ts';
import { exportCoco } from './training-store/coco.ts';
import { parseTrainingStoreConfig } from './training-store/config.ts';
import { pushProject, PushError } from './training-store/push.ts';
import { TrainingStore } from './training-store/store.ts';
import { LOCAL_PROJECT_ID } from './upstreams/local.ts';

const USAGE = `Usage:
  npm run dataset -- export [--project <id>] [--out <dir>]
  npm run dataset -- push [--project <id>] [--to <Custom Vision project id>]
The store is read from DATA_DIR (default ./data). push needs CUSTOM_VISION_TRAINING_ENDPOINT and
CUSTOM_VISION_TRAINING_KEY in the environment or .env.`;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** One progress line that rewrites itself on a terminal, and plain lines otherwise. */
function progressLine(label: string) {
  let last = 0;
  return (done: number, total: number) => {
    const now = Date.now();
    if (done < total && now - last < 200) return;
    last = now;
    const line = `${label} ${done}/${total}`;
    if (process.stderr.isTTY) process.stderr.write(`\r${line}${done === total ? '\n' : ''}`);
    else if (done === total || done % 100 === 0) process.stderr.write(`${line}\n`);
  };
}

export async function runDataset(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
): Promise<number> {
  const { positionals, values } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      project: { type: 'string' },
      out: { type: 'string' },
      to: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const command = positionals[0];
  if (values.help || (command !== 'export' && command !== 'push')) {
    process.stderr.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const projectId = (values.project ?? LOCAL_PROJECT_ID).toLowerCase();
  if (!GUID.test(projectId))
    throw new ConfigError(`--project must be a project's GUID; it is "${projectId}".`);
  const config = parseTrainingStoreConfig(env, cwd);
  const store = new TrainingStore(config, { readOnly: true });
  try {
    if (command === 'export') {
      const out = path.resolve(cwd, values.out ?? `dataset-${projectId}`);
      const result = await exportCoco(store, projectId, out, progressLine('Exported images'));
      process.stdout.write(
        `Wrote ${result.images} images, ${result.annotations} annotations and ${result.categories} categories ` +
          `to ${result.file} (COCO JSON; files under ${path.join(out, 'images')}).\n`,
      );
      return 0;
    }
    const endpoint = text(env, 'CUSTOM_VISION_TRAINING_ENDPOINT');
    const key = text(env, 'CUSTOM_VISION_TRAINING_KEY');
    const target = values.to ?? text(env, 'CUSTOM_VISION_PROJECT_ID');
    if (!endpoint || !key || !target) {
      throw new ConfigError(
        'push needs CUSTOM_VISION_TRAINING_ENDPOINT and CUSTOM_VISION_TRAINING_KEY (the training resource, ' +
          'from the Azure portal) and the project to push to (--to <GUID> or CUSTOM_VISION_PROJECT_ID), in ' +
          'the environment or .env.',
      );
    }
    if (!GUID.test(target))
      throw new ConfigError(`The project to push to must be a GUID; it is "${target}".`);
    const report = await pushProject(
      store,
      projectId,
      { endpoint, key, projectId: target.toLowerCase() },
      { log: (line) => process.stderr.write(`${line}\n`) },
    );
    process.stdout.write(
      `Pushed ${report.pushed} new images to Custom Vision project ${target}; ${report.duplicates} were there ` +
        `already, ${report.skipped} were pushed before, ${report.failed.length} were refused` +
        (report.tagsCreated.length ? `; created tags ${report.tagsCreated.join(', ')}` : '') +
        `.\n`,
    );
    for (const failure of report.failed)
      process.stdout.write(`  refused: ${failure.imageId} ${failure.status}\n`);
    return report.failed.length ? 1 : 0;
  } finally {
    store.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  // As the server does: variables already in the environment win over .env.
  if (existsSync(`${root}.env`)) process.loadEnvFile(`${root}.env`);
  runDataset(process.argv.slice(2), process.env, process.cwd()).then(
    (code) => process.exit(code),
    (error: unknown) => {
      const known = error instanceof ConfigError || error instanceof PushError;
      process.stderr.write(`${known ? error.message : String((error as Error).stack ?? error)}\n`);
      process.exit(known ? 2 : 1);
    },
  );
}
