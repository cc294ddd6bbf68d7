// The container's health check (see Dockerfile): exits 0 when this instance answers GET /api/health, 1
// otherwise. Liveness only: a server that is up but not ready (model loading, Azure failing) is still
// healthy, and says so on /api/ready for load balancers. Needs no token: health answers probes.
import http from 'node:http';
import https from 'node:https';

const tls = Boolean(process.env.TLS_CERT_FILE?.trim());
const port = Number(process.env.PORT?.trim() || 8080);
const request = (tls ? https : http).get(
  // Its own certificate may not name 127.0.0.1: this only asks whether the process answers.
  { host: '127.0.0.1', port, path: '/api/health', timeout: 4_000, rejectUnauthorized: false },
  (res) => {
    res.resume();
    process.exit(res.statusCode === 200 ? 0 : 1);
  },
);
request.on('timeout', () => request.destroy(new Error('timeout')));
request.on('error', () => process.exit(1));
