// nginx as the yardstick for Sightline's forwarding: the same key-adding reverse proxy in front of the same
// fake upstream, configured the way one would run it in production (keep-alive to the upstream, body and
// answer buffered), with every file it writes inside a temp dir that is removed afterwards.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startChild, stopChild } from './children.ts';
import { freePort } from './http.ts';
import { waitForHttp, type RunningChild } from './servers.ts';

export const NGINX = '/usr/sbin/nginx';

export const nginxInstalled = () => existsSync(NGINX);

function nginxConfig(dir: string, port: number, upstream: URL, predictionKey: string): string {
  return `
worker_processes auto;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  # Node's server keeps a connection for any number of requests; nginx's default of 1000 would make
  # autocannon reconnect every few hundred milliseconds and charge nginx for it.
  keepalive_requests 1000000;

  upstream custom_vision {
    server ${upstream.host};
    keepalive 32;
    keepalive_requests 1000000;
  }

  server {
    listen 127.0.0.1:${port};
    client_max_body_size 4m;
    # The default (16k) would spill every ~25 KB body into a temp file; Sightline holds bodies in memory.
    client_body_buffer_size 64k;

    location / {
      proxy_pass http://custom_vision;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Prediction-Key ${predictionKey};
      proxy_buffering on;
    }
  }
}
`;
}

/** Starts nginx in the foreground as a child (`daemon off`), proxying to `upstream` and adding the key. */
export async function startNginx(upstream: string, predictionKey: string): Promise<RunningChild> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sightline-bench-nginx-'));
  // Run as root, nginx's workers switch to an unprivileged user, which must be able to reach the temp paths.
  await chmod(dir, 0o755);
  const port = await freePort();
  const conf = path.join(dir, 'nginx.conf');
  await writeFile(conf, nginxConfig(dir, port, new URL(upstream), predictionKey));
  const child = startChild('nginx', NGINX, ['-p', dir, '-c', conf, '-g', 'daemon off;'], process.env);
  // Synchronously as nginx exits, however it was stopped: on Ctrl-C the benchmark exits right after.
  child.process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const url = `http://127.0.0.1:${port}`;
  const stop = () => stopChild(child);
  try {
    await waitForHttp(child, `${url}/`, 15_000);
  } catch (error) {
    // Startup problems are in nginx's own log, which goes with the temp dir.
    const log = existsSync(`${dir}/error.log`) ? readFileSync(`${dir}/error.log`, 'utf8').trim() : '';
    await stop();
    throw log ? new Error(`${(error as Error).message}\n--- nginx error.log ---\n${log}`) : error;
  }
  return { child, url, stop };
}
