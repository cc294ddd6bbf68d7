// Starts a server from a validated configuration: picks the upstream, listens, then (for the local
// detector) loads the model while /api/health already answers. Used by index.ts and by the tests.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from './app.ts';
import type { ServerConfig } from './env.ts';
import type { Logger } from './log.ts';
import { CustomVisionUpstream } from './upstreams/custom-vision.ts';
import { LocalUpstream } from './upstreams/local.ts';
import type { PredictionUpstream } from './upstreams/upstream.ts';

export interface RunningServer {
  readonly server: Server;
  readonly upstream: PredictionUpstream;
  /** e.g. http://127.0.0.1:8080 */
  readonly url: string;
  /** Resolves once the upstream can answer predictions (the local model is loaded). */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

export interface StartOptions {
  readonly staticDir: string;
  readonly log: Logger;
}

export async function startServer(
  config: ServerConfig,
  { staticDir, log }: StartOptions,
): Promise<RunningServer> {
  let upstream: PredictionUpstream;
  let ready: Promise<void>;
  if (config.customVision) {
    upstream = new CustomVisionUpstream(config.customVision);
    ready = Promise.resolve();
  } else if (config.local) {
    const local = new LocalUpstream(config.local);
    upstream = local;
    ready = local.start();
    ready.catch((error: Error) => log.error('the local detector failed to start', { error: error.message }));
  } else {
    throw new Error('The configuration names no upstream.');
  }

  const server = createServer(
    { keepAliveTimeout: 65_000, requestTimeout: 60_000 },
    createApp({ upstream, staticDir, log }),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    server,
    upstream,
    url: `http://${host}:${address.port}`,
    ready,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await upstream.close();
    },
  };
}
