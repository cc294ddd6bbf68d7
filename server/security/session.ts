// The pairing cookie: after a browser presents a device token once (/pair), it keeps a session cookie
// instead of the token. The cookie names the token by its id and is signed with the token itself, so it
// needs no server-side state, works on every instance that knows the token, and dies with it: remove
// the token from the list and every browser paired with it is refused.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { DeviceToken } from './tokens.ts';

export const SESSION_COOKIE = 'sightline_session';
/** Browsers cap cookie lifetimes at 400 days; a kiosk paired once should stay paired that long. */
export const SESSION_MAX_AGE_SECONDS = 400 * 24 * 60 * 60;

const sign = (token: DeviceToken, payload: string) =>
  createHmac('sha256', token.secret).update(`sightline-session.${payload}`).digest('base64url');

export function createSession(token: DeviceToken, nowMs = Date.now()): string {
  const payload = `v1.${token.id}.${Math.floor(nowMs / 1000)}`;
  return `${payload}.${sign(token, payload)}`;
}

/** The token a session cookie stands for, if it is well-formed, signed by a current token and not expired. */
export function verifySession(
  value: string,
  byId: (id: string) => DeviceToken | undefined,
  nowMs = Date.now(),
): DeviceToken | undefined {
  const match = /^(v1\.([0-9a-f]{16})\.(\d{1,12}))\.([A-Za-z0-9_-]{43})$/.exec(value);
  if (!match) return undefined;
  const [, payload, id, issuedAt, signature] = match;
  const token = byId(id!);
  if (!token) return undefined;
  const expected = Buffer.from(sign(token, payload!));
  const given = Buffer.from(signature!);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
  const ageSeconds = nowMs / 1000 - Number(issuedAt);
  return ageSeconds >= -60 && ageSeconds <= SESSION_MAX_AGE_SECONDS ? token : undefined;
}

/** HttpOnly (no script can read it), Secure (HTTPS only; browsers allow it on http://localhost too), Strict. */
export function sessionCookieHeader(value: string): string {
  return `${SESSION_COOKIE}=${value}; Path=/; Max-Age=${SESSION_MAX_AGE_SECONDS}; HttpOnly; Secure; SameSite=Strict`;
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
