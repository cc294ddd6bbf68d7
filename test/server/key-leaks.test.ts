// The Custom Vision key must not reach a client in any form the client could turn back into it: escaped
// in JSON, in another letter case, in part, base64-, hex- or percent-encoded, in a body or a header.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyLeakDetector, REDACTED } from '../../server/observability/key-leaks.ts';
import { startFakeCustomVision, type FakeCustomVision } from '../support/fake-custom-vision.ts';
import { FIXTURES, fixtureBytes } from '../support/fixtures.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

const KEY = 'C4n4ryK3yC4n4ryK3yC4n4ryK3y00042';
const unicodeEscaped = (text: string) =>
  [...text].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');

/** The forms a leaked key can take, each as the JSON text of a string an upstream could send. */
const ENCODINGS: [string, string][] = [
  ['as it is', JSON.stringify(`key=${KEY}`)],
  ['\\u-escaped', `"${unicodeEscaped(KEY)}"`],
  ['half of it, \\u-escaped', `"${unicodeEscaped(KEY.slice(0, 16))}"`],
  ['upper case', JSON.stringify(KEY.toUpperCase())],
  ['lower case, inside a word', JSON.stringify(`xx${KEY.toLowerCase()}yy`)],
  ['its first 14 characters', JSON.stringify(`partial ${KEY.slice(0, 14)} only`)],
  ['its last 14 characters', JSON.stringify(KEY.slice(-14))],
  ['base64', JSON.stringify(Buffer.from(KEY).toString('base64'))],
  ['base64 inside a longer value', JSON.stringify(Buffer.from(`Prediction-Key: ${KEY}`).toString('base64'))],
  ['base64url', JSON.stringify(Buffer.from(`k=${KEY}`).toString('base64url'))],
  ['hex', JSON.stringify(Buffer.from(KEY).toString('hex'))],
  ['percent-encoded', JSON.stringify([...KEY].map((c) => `%${c.charCodeAt(0).toString(16)}`).join(''))],
];

/** Every form a client could read back from the string it parsed. */
function clientReadings(value: string): string[] {
  let percent = value;
  try {
    percent = decodeURIComponent(value);
  } catch {
    // not percent-encoded
  }
  return [
    value.toLowerCase(),
    Buffer.from(value, 'base64').toString('latin1').toLowerCase(),
    Buffer.from(value, 'hex').toString('latin1').toLowerCase(),
    percent.toLowerCase(),
  ];
}
const holdsKeyPart = (value: string) =>
  clientReadings(value).some((reading) =>
    [KEY.slice(0, 14), KEY.slice(-14)].some((part) => reading.includes(part.toLowerCase())),
  );

describe('KeyLeakDetector', () => {
  const detector = new KeyLeakDetector(KEY);

  it.each(ENCODINGS)('finds the key %s', (_, json) => {
    const parsed = JSON.parse(json) as string;
    expect(holdsKeyPart(parsed), 'the test case itself must carry the key').toBe(true);
    expect(detector.leaks(parsed)).toBe(true);
    const scrubbed = JSON.parse(detector.scrubBody(Buffer.from(`{"message":${json}}`)).toString()) as {
      message: string;
    };
    expect(scrubbed.message).toBe(REDACTED);
  });

  it('leaves an ordinary answer alone, the very same buffer', () => {
    const answer = Buffer.from(
      JSON.stringify({
        id: '98571fd9-e3f3-4e2e-bb1c-61507dcbd734',
        project: '0f0f0f0f-1111-4222-8333-444455556666',
        iteration: '46054b6f-adee-4d5e-9d1c-2b7e8a6d5c11',
        created: '2026-11-30T00:00:00.000Z',
        predictions: [
          {
            probability: 0.87,
            tagId: 'a1b2c3d4-0000-4000-8000-000000000001',
            tagName: 'cup "with" \\ handle',
            boundingBox: { left: 0.28, top: 0.04, width: 0.4, height: 0.68 },
          },
        ],
      }),
    );
    expect(detector.scrubBody(answer)).toBe(answer);
  });

  it('replaces a body that is not JSON whole when it leaks', () => {
    expect(detector.scrubBody(Buffer.from(`oops ${KEY}`)).toString()).toBe(REDACTED);
    // Escaped, in a body that only looks like JSON (a trailing comma): its escapes are undone to judge it.
    const almostJson = Buffer.from(`{"message":"${unicodeEscaped(KEY)}", }`);
    expect(detector.scrubBody(almostJson).toString()).toBe(REDACTED);
  });
});

describe('an upstream that leaks the key', () => {
  const PROJECT = {
    projectId: '0f0f0f0f-1111-4222-8333-444455556666',
    publishedName: 'Iteration1',
    type: 'detect' as const,
  };
  const ROUTE = `/customvision/v3.1/prediction/${PROJECT.projectId}/detect/iterations/${PROJECT.publishedName}/image/nostore`;
  let fake: FakeCustomVision;
  let server: TestServer;
  beforeAll(async () => {
    fake = await startFakeCustomVision(PROJECT, { key: KEY });
    server = await startTestServer({
      CUSTOM_VISION_PREDICTION_ENDPOINT: fake.url,
      CUSTOM_VISION_PREDICTION_KEY: KEY,
      CUSTOM_VISION_PROJECT_ID: PROJECT.projectId,
      CUSTOM_VISION_PUBLISHED_NAME: PROJECT.publishedName,
    });
  });
  afterAll(async () => {
    await server?.close();
    await fake?.close();
  });

  it.each(ENCODINGS)('relays no trace of it %s, in a body or a header', async (_, json) => {
    const encoded = JSON.parse(json) as string;
    fake.behaviour = {
      answer: {
        status: 200,
        body: `{"id":"98571fd9-e3f3-4e2e-bb1c-61507dcbd734","predictions":[{"tagName":${json},"probability":0.5}]}`,
        headers: { 'content-type': 'application/json', 'x-ms-request-id': encoded },
      },
    };
    const res = await fetch(`${server.url}${ROUTE}`, { method: 'POST', body: fixtureBytes(FIXTURES.coffee) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { predictions: { tagName: string }[] };
    expect(holdsKeyPart(body.predictions[0]!.tagName)).toBe(false);
    expect(body.predictions[0]!.tagName).toBe(REDACTED);
    expect(res.headers.get('x-ms-request-id')).toBeNull();
  });
});
