import { describe, expect, it } from 'vitest';
import { pairDevice, tokenFromCode } from '../../../src/api/pairing.ts';

describe('tokenFromCode', () => {
  it('reads the token from a pairing link', () => {
    expect(tokenFromCode('https://sightline.local:8080/pair?token=abc-123_XYZ')).toBe('abc-123_XYZ');
  });
  it('takes a bare token as it is, trimmed', () => {
    expect(tokenFromCode('  abc-123_XYZ\n')).toBe('abc-123_XYZ');
  });
  it('finds nothing in a link without a token, in prose or in nothing', () => {
    expect(tokenFromCode('https://example.com/menu')).toBeUndefined();
    expect(tokenFromCode('hello there')).toBeUndefined();
    expect(tokenFromCode('   ')).toBeUndefined();
  });
});

describe('pairDevice', () => {
  const answer = (status: number) => () => Promise.resolve(new Response('{}', { status }));

  it('posts the token as JSON and is done on 200', async () => {
    let sent: RequestInit | undefined;
    const outcome = await pairDevice('tok', (_url, init) => {
      sent = init;
      return Promise.resolve(new Response('{}', { status: 200 }));
    });
    expect(outcome).toEqual({ ok: true });
    expect(sent?.method).toBe('POST');
    expect(JSON.parse(sent?.body as string)).toEqual({ token: 'tok' });
  });

  it('says a refused code, a lockout and an unreachable server in plain words', async () => {
    expect(await pairDevice('tok', answer(401))).toMatchObject({ ok: false, message: /not accepted/ });
    expect(await pairDevice('tok', answer(429))).toMatchObject({ ok: false, message: /Wait a few minutes/ });
    expect(await pairDevice('tok', () => Promise.reject(new TypeError('x')))).toMatchObject({
      ok: false,
      message: /reach the Sightline server/,
    });
  });
});
