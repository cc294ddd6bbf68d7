// Device token lists and the pairing cookie.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../server/observability/logger.ts';
import { TokenStore } from '../../server/security/token-store.ts';
import {
  createSession,
  readCookie,
  SESSION_MAX_AGE_SECONDS,
  verifySession,
} from '../../server/security/session.ts';
import { deviceToken, matchToken, parseTokenList } from '../../server/security/tokens.ts';

const A = 'aaaaaaaaaaaaaaaaaaaaaaaa';
const B = 'bbbbbbbbbbbbbbbbbbbbbbbb';

describe('token lists', () => {
  it('reads labelled and bare tokens, skipping comments and reporting bad lines without quoting them', () => {
    const { tokens, problems } = parseTokenList(
      `# fleet\nlobby:${A}\n\n${B}\nshort\nbad label!:${A}\n${A}\n`,
      'tokens',
      'line',
    );
    expect(tokens.map((t) => t.label)).toEqual(['lobby', `token-${deviceToken(B).id}`]);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^tokens, line 5: not a usable token \(5 characters\)/);
    expect(problems.join(' ')).not.toContain('short');
    expect(parseTokenList(`${A},${B}`, 'ACCESS_TOKENS').tokens).toHaveLength(2);
  });

  it('reads "!" entries as revoked, and a token both listed and revoked as revoked', () => {
    const { tokens, revoked } = parseTokenList(`lobby:${A}\n!old:${B}\n! ${A}\n`, 'tokens', 'line');
    expect(tokens).toEqual([]);
    expect(revoked.map((t) => t.label)).toEqual(['old', `token-${deviceToken(A).id}`]);
  });

  it('reads a role after the label, "predict" when none is given, and refuses an unknown one without the token', () => {
    const C = 'cccccccccccccccccccccccc';
    const D = 'dddddddddddddddddddddddd';
    const { tokens, revoked, problems } = parseTokenList(
      `lobby:${A}\nfield@contribute:${B}\n@manage:${C}\n${D}\n!old@manage:${'e'.repeat(24)}\nx@root:${'f'.repeat(24)}\n`,
      'tokens',
      'line',
    );
    expect(tokens.map((t) => [t.label, t.role])).toEqual([
      ['lobby', 'predict'],
      ['field', 'contribute'],
      [`token-${deviceToken(C).id}`, 'manage'],
      [`token-${deviceToken(D).id}`, 'predict'],
    ]);
    expect(revoked.map((t) => [t.label, t.role])).toEqual([['old', 'manage']]);
    expect(problems).toEqual([
      'tokens, line 6: the role "root" is not one of predict, contribute, manage; skipped.',
    ]);
    expect(
      parseTokenList(`a@manage:${'g'.repeat(24)},${B}`, 'ACCESS_TOKENS').tokens.map((t) => t.role),
    ).toEqual(['manage', 'predict']);
  });

  it('revokes a token in both lists when either says "!" (ACCESS_TOKENS and ACCESS_TOKENS_FILE)', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-tokens-'));
    try {
      const file = path.join(dir, 'tokens');
      const store = (inline: string, fileText: string) => {
        writeFileSync(file, fileText);
        const { tokens, revoked } = parseTokenList(inline, 'ACCESS_TOKENS');
        const tokenStore = new TokenStore(
          { tokens, revokedTokens: revoked, tokensFile: file },
          createLogger('silent', () => undefined),
        );
        tokenStore.load();
        return tokenStore;
      };
      const revokedInFile = store(`kiosk:${A}`, `!${A}\n${B}\n`);
      expect(revokedInFile.match(A)).toBeUndefined();
      expect(revokedInFile.byId(deviceToken(A).id)).toBeUndefined();
      expect(revokedInFile.isRevoked(A)).toBe(true);
      expect(revokedInFile.match(B)?.id).toBe(deviceToken(B).id);
      const revokedInline = store(`!${A},${B}`, `kiosk:${A}\n`);
      expect(revokedInline.match(A)).toBeUndefined();
      expect(revokedInline.match(B)).toBeDefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('matches a presented token against every entry', () => {
    const tokens = parseTokenList(`x:${A}\ny:${B}`, 't').tokens;
    expect(matchToken(tokens, B)?.label).toBe('y');
    expect(matchToken(tokens, `${B}c`)).toBeUndefined();
    expect(matchToken([], A)).toBeUndefined();
  });
});

describe('the pairing cookie', () => {
  const a = deviceToken(A, 'a');
  const byId = (id: string) => (id === a.id ? a : undefined);

  it('stands for its token, until it expires or the token is gone', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    const session = createSession(a, now);
    expect(session).not.toContain(A);
    expect(verifySession(session, byId, now + 1_000)).toBe(a);
    expect(verifySession(session, byId, now + (SESSION_MAX_AGE_SECONDS + 1) * 1000)).toBeUndefined();
    expect(verifySession(session, () => undefined, now)).toBeUndefined();
    expect(verifySession(session, () => deviceToken(B), now)).toBeUndefined();
    expect(verifySession(`${session.slice(0, -1)}A`, byId, now)).toBeUndefined();
  });

  it('is read from a Cookie header among others', () => {
    expect(readCookie('a=1; sightline_session=v1.x; b=2', 'sightline_session')).toBe('v1.x');
    expect(readCookie(undefined, 'sightline_session')).toBeUndefined();
  });
});
