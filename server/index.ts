// The server's entry point: read the configuration (environment, then an optional .env file), start,
// reload device tokens on SIGHUP, and shut down gracefully on SIGINT/SIGTERM. A bad configuration stops
// it with a message, not a stack trace.
import { existsSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { ConfigError, parseConfig } from './env.ts';
import { ListenError } from './http/listen-errors.ts';
import { createLogger, parseLogLevel } from './observability/logger.ts';
import { startServer } from './server.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
// Variables already in the environment win over .env (process.loadEnvFile never overrides them).
if (existsSync(`${root}.env`)) process.loadEnvFile(`${root}.env`);

let log = createLogger('info');
try {
  log = createLogger(parseLogLevel(process.env.LOG_LEVEL));
  const config = parseConfig(process.env, os.availableParallelism());
  for (const warning of config.warnings) log.warn(warning);
  const running = await startServer(config, { staticDir: `${root}dist`, log });
  const access = running.tokens.enabled ? 'device tokens required' : 'open (loopback only)';
  log.info(`Sightline is listening on ${running.url}, serving ${running.description}; access: ${access}`);
  running.ready.then(
    () => log.info('ready for predictions'),
    () => undefined, // already logged by startServer
  );

  process.on('SIGHUP', () => running.tokens.reload('SIGHUP'));
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: finishing requests in flight and stopping`);
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
} catch (error) {
  if (
    error instanceof ConfigError ||
    error instanceof ListenError ||
    (error as Error).message.startsWith('LOG_LEVEL')
  ) {
    process.stderr.write(`Sightline cannot start: ${(error as Error).message}\n`);
    process.exit(2);
  }
  throw error;
}
