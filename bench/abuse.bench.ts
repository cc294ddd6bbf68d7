// npm run bench:abuse — the attacks and faults of the hardening rounds, replayed against the compiled
// server (as `npm start` runs it) so that the next round starts from them: each probe prints what was
// done, what the server must do and what it did. The last line is one JSON object with every probe.
// Exits 1 if any probe saw the server do something else.
//
// What it starts: Sightline on the local detector with a device token (one worker), Sightline forwarding
// to a fake Custom Vision on loopback that can be told to echo its key, and, for the shared-budget probe,
// redis-server (Debian's) and two more Sightline instances. Everything on 127.0.0.0/8.
import { spawn, spawnSync } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import sharp from 'sharp';
import { startFakeCustomVision, type FakeCustomVision } from '../test/support/fake-custom-vision.ts';
import { FIXTURES, fixtureBytes } from '../test/support/fixtures.ts';
import { oneRequest, type OneAnswer } from '../test/support/one-request.ts';
import { describeCrashes, installCleanup, REPO_ROOT, stopAllChildren } from './lib/children.ts';
import { print, progress } from './lib/report.ts';
import { startSightline, type RunningChild } from './lib/servers.ts';

const TOKEN = 'abuse-bench-device-token-0123456789';
const REVOKED = 'abuse-bench-revoked-token-987654321';
const KEY = 'C4n4ryK3yC4n4ryK3yC4n4ryK3y00042';
const PROJECT = { projectId: '0f0f0f0f-1111-4222-8333-444455556666', publishedName: 'Iteration1' };
const CLOUD_ROUTE = `/customvision/v3.1/prediction/${PROJECT.projectId}/detect/iterations/${PROJECT.publishedName}/image/nostore`;
const MIB = 1024 * 1024;
const jpeg = fixtureBytes(FIXTURES.coffee);

interface ProbeResult {
  readonly attack: string;
  readonly expected: string;
  readonly observed: string;
  readonly ok: boolean;
}

const codeOf = (answer: OneAnswer) => {
  try {
    return (JSON.parse(answer.body) as { code?: string }).code ?? '';
  } catch {
    return '';
  }
};
const describe = (answer: OneAnswer) => `${answer.status} ${codeOf(answer)}`.trim();

async function alive(server: RunningChild): Promise<boolean> {
  if (server.child.hasExited()) return false;
  return fetch(`${server.url}/api/health`).then(
    (res) => res.status === 200,
    () => false,
  );
}

const multipartHead = (disposition: string, extra = '') =>
  Buffer.from(`--X\r\nContent-Disposition: form-data; ${disposition}\r\n${extra}\r\n`);
const MULTIPART = { 'Content-Type': 'multipart/form-data; boundary=X' };

async function probeDetectorServer(server: RunningChild, path: string): Promise<ProbeResult[]> {
  const results: ProbeResult[] = [];
  const auth = { Authorization: `Bearer ${TOKEN}` };
  const url = `${server.url}${path}`;

  for (const [what, head] of [
    ['a file part', multipartHead('name="imageData"; filename="a"')],
    ['an octet-stream part', multipartHead('name="imageData"', 'Content-Type: application/octet-stream\r\n')],
  ] as const) {
    const answer = await oneRequest(url, {
      headers: { ...auth, ...MULTIPART },
      body: Buffer.concat([head, Buffer.from('abc')]),
    });
    const up = await alive(server);
    results.push({
      attack: `multipart body ending inside ${what}`,
      expected: '400 BadRequestImageStream, server up',
      observed: `${describe(answer)}, server ${up ? 'up' : 'DOWN'}`,
      ok: answer.status === 400 && up,
    });
  }

  // A JPEG cut mid-scan with its end marker put back: the cheap check passes, the decoder must refuse.
  const cut = Buffer.concat([jpeg.subarray(0, Math.floor(jpeg.length / 2)), Buffer.from([0xff, 0xd9])]);
  const corrupt = await oneRequest(url, { headers: auth, body: cut });
  results.push({
    attack: 'JPEG cut mid-scan, end marker appended',
    expected: '400 BadRequestImageFormat',
    observed: describe(corrupt),
    ok: corrupt.status === 400 && codeOf(corrupt) === 'BadRequestImageFormat',
  });

  // 10240 x 10240 pixels in a few tens of kilobytes.
  const bomb = await sharp({
    create: { width: 10_240, height: 10_240, channels: 3, background: { r: 20, g: 20, b: 20 } },
  })
    .gif()
    .toBuffer();
  const rssBefore = residentMb(server);
  const bombs = await Promise.all(
    Array.from({ length: 4 }, () => oneRequest(url, { headers: auth, body: bomb })),
  );
  const peak = peakResidentMb(server);
  results.push({
    attack: `4 GIFs of 10240x10240 (${Math.round(bomb.length / 1024)} KB each) at once`,
    expected: '400 BadRequestImageDimensions, peak RSS < 600 MB',
    observed: `${[...new Set(bombs.map(describe))].join(', ')}; RSS ${rssBefore} -> peak ${peak} MB`,
    ok: bombs.every((b) => b.status === 400 && codeOf(b) === 'BadRequestImageDimensions') && peak < 600,
  });

  const fileFirst = await oneRequest(url, {
    headers: { ...auth, ...MULTIPART },
    body: Buffer.concat([
      multipartHead('name="note"; filename="note.txt"'),
      Buffer.from('hello\r\n'),
      multipartHead('name="imageData"; filename="coffee.jpg"'),
      jpeg,
      Buffer.from('\r\n--X--\r\n'),
    ]),
  });
  results.push({
    attack: 'multipart with a file part before imageData',
    expected: '200',
    observed: describe(fileFirst),
    ok: fileFirst.status === 200,
  });

  let pulled = 0;
  const filler = Buffer.alloc(64 * 1024, 0x61);
  const chunked = Readable.from(
    (function* () {
      yield multipartHead('name="other"; filename="big.bin"');
      for (let i = 0; i < (32 * MIB) / filler.length; i++) {
        pulled += filler.length;
        yield filler;
      }
    })(),
  );
  const big = await oneRequest(url, { headers: { ...auth, ...MULTIPART }, body: chunked });
  results.push({
    attack: '32 MiB chunked multipart body',
    expected: '413 before most of it is read',
    observed: `${describe(big)} after ${Math.round(pulled / MIB)} MiB sent`,
    ok: big.status === 413 && pulled < 16 * MIB,
  });

  results.push(...(await probeLockout(server)));
  results.push(await probeIdleSockets(server));

  const page = await fetch(`${server.url}/`).then((res) => res.text());
  const script = /src="(\/assets\/[^"]+\.js)"/.exec(page)?.[1] ?? '/assets/missing.js';
  const map = await fetch(`${server.url}${script}.map`);
  results.push({
    attack: `GET ${script}.map`,
    expected: '404 (maps stay on the server)',
    observed: String(map.status),
    ok: map.status === 404,
  });
  return results;
}

async function probeLockout(server: RunningChild): Promise<ProbeResult[]> {
  const from = '127.0.0.5';
  const get = (token: string) =>
    oneRequest(`${server.url}/api/config`, {
      method: 'GET',
      headers: { Authorization: `Bearer ${token}` },
      localAddress: from,
    });
  for (let i = 0; i < 20; i++) await get(REVOKED);
  const afterRevoked = await get('a-wrong-token-after-the-revoked-ones');
  for (let i = 0; i < 12; i++) await get(`a-wrong-token-guess-number-${i}`);
  const guess = await get('one-more-wrong-token-guess');
  const valid = await get(TOKEN);
  return [
    {
      attack: '20 tries of a revoked token from one address',
      expected: 'not counted as guesses (next wrong token 401)',
      observed: describe(afterRevoked),
      ok: afterRevoked.status === 401,
    },
    {
      attack: 'a valid token from an address locked out by 12 wrong ones',
      expected: 'guesses 429, the valid token 200',
      observed: `guess ${guess.status}, valid ${valid.status}`,
      ok: guess.status === 429 && valid.status === 200,
    },
  ];
}

function openIdle(url: string, localAddress: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port), localAddress }, () => resolve(socket));
    socket.on('error', () => resolve(socket));
  });
}

async function probeIdleSockets(server: RunningChild): Promise<ProbeResult> {
  const idle = await Promise.all(Array.from({ length: 600 }, () => openIdle(server.url, '127.0.0.6')));
  let ok = 0;
  for (let i = 0; i < 50; i++) {
    ok += await fetch(`${server.url}/api/health`).then(
      (res) => (res.status === 200 ? 1 : 0),
      () => 0,
    );
  }
  for (const socket of idle) socket.destroy();
  return {
    attack: '600 idle sockets from one address, then 50 health probes from another',
    expected: '50 of 50 probes answered',
    observed: `${ok} of 50`,
    ok: ok === 50,
  };
}

/** Resident memory now, in MB, of a child (the server and its worker threads are one process). */
function residentMb(server: RunningChild): number {
  return procStatusMb(server, 'VmRSS');
}
/** The most resident memory the child has had since it started, in MB. */
function peakResidentMb(server: RunningChild): number {
  return procStatusMb(server, 'VmHWM');
}
function procStatusMb(server: RunningChild, field: string): number {
  const status = spawnSync('cat', [`/proc/${server.child.process.pid}/status`], { encoding: 'utf8' }).stdout;
  const kb = Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

const unicodeEscaped = (text: string) =>
  [...text].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');

async function probeKeyEcho(fake: FakeCustomVision, server: RunningChild): Promise<ProbeResult> {
  const forms: [string, string][] = [
    ['\\u-escaped', `"${unicodeEscaped(KEY)}"`],
    ['upper case', JSON.stringify(KEY.toUpperCase())],
    ['half', JSON.stringify(KEY.slice(0, 16))],
    ['base64', JSON.stringify(Buffer.from(KEY).toString('base64'))],
    ['hex', JSON.stringify(Buffer.from(KEY).toString('hex'))],
  ];
  const leaked: string[] = [];
  for (const [name, json] of forms) {
    fake.behaviour = {
      answer: {
        status: 200,
        body: `{"id":"x","predictions":[{"tagName":${json},"probability":0.5}]}`,
        headers: { 'content-type': 'application/json', 'x-ms-request-id': JSON.parse(json) as string },
      },
    };
    const res = await fetch(`${server.url}${CLOUD_ROUTE}`, { method: 'POST', body: jpeg });
    const body = (await res.json()) as { predictions: { tagName: string }[] };
    if (body.predictions[0]?.tagName !== '[redacted]' || res.headers.get('x-ms-request-id') !== null) {
      leaked.push(name);
    }
  }
  fake.behaviour = {};
  return {
    attack: `upstream echoing its key (${forms.map(([name]) => name).join(', ')})`,
    expected: 'every form redacted or dropped',
    observed: leaked.length ? `leaked: ${leaked.join(', ')}` : 'none relayed',
    ok: leaked.length === 0,
  };
}

async function probePortInUse(server: RunningChild): Promise<ProbeResult> {
  const port = new URL(server.url).port;
  const child = spawn(process.execPath, [`${REPO_ROOT}dist-server/index.js`], {
    cwd: REPO_ROOT,
    env: { ...process.env, PORT: port, HOST: '127.0.0.1', LOCAL_DETECTOR_WORKERS: '1', ACCESS_TOKENS: TOKEN },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const message = output.trim().split('\n').at(-1) ?? '';
  return {
    attack: `a second server on port ${port}`,
    expected: 'exit 2, a message naming the port and PORT, no stack',
    observed: `exit ${code}: ${message.slice(0, 70)}…`,
    ok:
      code === 2 && message.includes(`Port ${port}`) && message.includes('PORT=') && !/\n\s+at /.test(output),
  };
}

async function main(): Promise<void> {
  const results: ProbeResult[] = [];
  progress('starting Sightline on the local detector (model load takes a while)…');
  const detector = await startSightline(
    'Sightline (local detector)',
    { LOCAL_DETECTOR_WORKERS: '1', ACCESS_TOKENS: `kiosk:${TOKEN},!old:${REVOKED}`, REDIS_URL: '' },
    'local',
    180_000,
    TOKEN,
  );
  const config = (await (
    await fetch(`${detector.url}/api/config`, { headers: { Authorization: `Bearer ${TOKEN}` } })
  ).json()) as { models: { predictionPath: string }[] };
  results.push(...(await probeDetectorServer(detector, config.models[0]!.predictionPath)));
  results.push(await probePortInUse(detector));
  await detector.stop();

  progress('starting Sightline in front of a fake Custom Vision…');
  const fake = await startFakeCustomVision({ ...PROJECT, type: 'detect' }, { key: KEY });
  const cloud = await startSightline(
    'Sightline (forwarding)',
    {
      CUSTOM_VISION_PREDICTION_ENDPOINT: fake.url,
      CUSTOM_VISION_PREDICTION_KEY: KEY,
      CUSTOM_VISION_PROJECT_ID: PROJECT.projectId,
      CUSTOM_VISION_PUBLISHED_NAME: PROJECT.publishedName,
      ACCESS_TOKENS: '',
      REDIS_URL: '',
    },
    'custom-vision',
    60_000,
  );
  results.push(await probeKeyEcho(fake, cloud));
  await cloud.stop();
  await fake.close();

  print('Attacks and faults (npm run bench:abuse)');
  for (const r of results) {
    print(`${r.ok ? 'ok    ' : 'FAILED'}  ${r.attack}`);
    print(`        must: ${r.expected}`);
    print(`        did:  ${r.observed}`);
  }
  const failed = results.filter((r) => !r.ok).length;
  print();
  print(JSON.stringify({ probes: results, passed: results.length - failed, failed }));
  if (failed > 0) process.exitCode = 1;
}

installCleanup(() => undefined);
try {
  await main();
} catch (error) {
  process.stderr.write(`bench:abuse failed: ${(error as Error).message}\n${describeCrashes()}\n`);
  process.exitCode = 1;
} finally {
  await stopAllChildren();
}
