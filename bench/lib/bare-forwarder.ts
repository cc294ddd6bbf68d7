// The floor for a proxy written in Node: the least a Node process can do to forward a prediction (read
// the body, POST it upstream with the key over undici's pool, relay status, type and body), with none of
// Sightline's checks, budget, metrics or logging. Section C runs it beside Sightline and nginx so that the
// figures show how much of Sightline's cost is its own work and how much is Node's.
//
//   node --import tsx bench/lib/bare-forwarder.ts --port P --upstream http://127.0.0.1:U --key K
import http from 'node:http';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';

const { values } = parseArgs({
  options: { port: { type: 'string' }, upstream: { type: 'string' }, key: { type: 'string' } },
});
if (!values.port || !values.upstream || !values.key) {
  console.error('usage: bare-forwarder.ts --port P --upstream URL --key K');
  process.exit(2);
}
const pool = new Pool(values.upstream, { connections: 64 });
const key = values.key;

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    const answer: Buffer[] = [];
    let status = 502;
    let type = 'application/json';
    pool.dispatch(
      {
        path: req.url ?? '/',
        method: 'POST',
        body,
        headers: { 'prediction-key': key, 'content-type': 'application/octet-stream' },
      },
      {
        // undici takes a handler for its new API only when it has onRequestStart.
        onRequestStart() {},
        onResponseStart(_controller, statusCode, headers) {
          status = statusCode;
          if (typeof headers['content-type'] === 'string') type = headers['content-type'];
        },
        onResponseData(_controller, chunk) {
          answer.push(chunk);
        },
        onResponseEnd() {
          const whole = Buffer.concat(answer);
          res.writeHead(status, { 'content-type': type, 'content-length': whole.length });
          res.end(whole);
        },
        onResponseError(_controller, error) {
          res.writeHead(502).end(error.message);
        },
      },
    );
  });
});
server.listen(Number(values.port), '127.0.0.1', () => console.log(JSON.stringify({ listening: true })));
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(0));
