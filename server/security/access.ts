// The gate in front of the API: which device is calling, and what it may do. A device token is accepted
// as `Authorization: Bearer <token>`, as `Prediction-Key: <token>` or `Training-Key: <token>` (so Custom
// Vision's own SDKs work against this server unchanged; neither header is ever forwarded), or as the
// session cookie set by /pair. With no token configured (loopback only) the server is open, every caller
// is known by its address, and the operator at the machine may do everything (manage).
import type { IncomingMessage } from 'node:http';
import { CvError, CvErrorCode } from '../http/cv-error.ts';
import { roleAllows, ROLE_RIGHTS, type Role } from '../../src/shared/roles.ts';
import type { AuthFailureLimiter } from './auth-failures.ts';
import { readCookie, SESSION_COOKIE, verifySession } from './session.ts';
import type { TokenStore } from './token-store.ts';

export interface Caller {
  /** Stable key for budgets and metrics: the token's id, or the address when the server is open. */
  readonly id: string;
  /** For logs: the token's label, or the address. */
  readonly label: string;
  readonly via: 'open' | 'bearer' | 'prediction-key' | 'training-key' | 'cookie';
  /** What the caller may do: its token's role, or manage on an open (loopback) server. */
  readonly role: Role;
}

export const UNAUTHORIZED_HEADERS = { 'WWW-Authenticate': 'Bearer realm="sightline"' } as const;

const HOW =
  'Send a device token as "Authorization: Bearer <token>", "Prediction-Key: <token>" or "Training-Key: <token>", or pair this browser once at /pair.';

function presentedToken(req: IncomingMessage): { token: string; via: Caller['via'] } | undefined {
  const authorization = req.headers.authorization;
  const bearer = authorization ? /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1] : undefined;
  if (bearer) return { token: bearer, via: 'bearer' };
  const key = req.headers['prediction-key'];
  if (typeof key === 'string' && key.trim()) return { token: key.trim(), via: 'prediction-key' };
  const trainingKey = req.headers['training-key'];
  if (typeof trainingKey === 'string' && trainingKey.trim()) {
    return { token: trainingKey.trim(), via: 'training-key' };
  }
  return undefined;
}

/** Nothing, or a 403 in Custom Vision's shape when the caller's role does not reach `needed`. */
export function requireRole(caller: Caller, needed: Role, what: string): void {
  if (roleAllows(caller.role, needed)) return;
  throw new CvError(
    403,
    CvErrorCode.Forbidden,
    `Access denied: ${what} needs a device token with the ${needed} role (${ROLE_RIGHTS[needed]}); ` +
      `this one has the ${caller.role} role. Ask the operator for a token that says "@${needed}".`,
  );
}

export class AccessControl {
  constructor(
    private readonly tokens: TokenStore,
    private readonly failures: AuthFailureLimiter,
  ) {}

  get enabled(): boolean {
    return this.tokens.enabled;
  }

  /** The caller if it holds a valid credential (or the server is open); never throws, counts nothing. */
  identify(req: IncomingMessage, address: string): Caller | undefined {
    if (!this.enabled) return { id: `address:${address}`, label: address, via: 'open', role: 'manage' };
    const presented = presentedToken(req);
    if (presented) {
      const token = this.tokens.match(presented.token);
      return token && { id: token.id, label: token.label, via: presented.via, role: token.role };
    }
    const session = readCookie(req.headers.cookie, SESSION_COOKIE);
    const token = session ? verifySession(session, (id) => this.tokens.byId(id)) : undefined;
    return token && { id: token.id, label: token.label, via: 'cookie', role: token.role };
  }

  /**
   * The caller, or a CvError: 401 without a valid credential, 429 after too many wrong tokens. A valid
   * credential always gets through, even from an address that is refused for wrong ones: the refusal is
   * for guesses, and one bad device or attacker behind a shared address (a school's NAT) must not lock
   * out every good device behind it. Tokens are long and random, so what the refusal buys is an end to a
   * flood of guesses, not their secrecy; a guess is not even compared while its address is refused.
   */
  async require(req: IncomingMessage, address: string): Promise<Caller> {
    if (!this.enabled) return this.identify(req, address)!;
    const caller = this.identify(req, address);
    if (caller) return caller;
    const presented = presentedToken(req);
    if (!presented) {
      throw new CvError(
        401,
        CvErrorCode.Unauthorized,
        `Access denied: this server needs a device token. ${HOW}`,
        UNAUTHORIZED_HEADERS,
      );
    }
    await this.refuseWrongToken(presented.token, address);
    throw new CvError(
      401,
      CvErrorCode.Unauthorized,
      'Access denied: that device token is not valid here (mistyped, or revoked). Ask the operator for a current one.',
      UNAUTHORIZED_HEADERS,
    );
  }

  /** Checks a token typed or linked for pairing, counting a wrong one like any other failed attempt. */
  async pair(token: string, address: string) {
    const match = this.tokens.match(token.trim());
    if (match) return match;
    await this.refuseWrongToken(token.trim(), address);
    throw new CvError(
      401,
      CvErrorCode.Unauthorized,
      'That pairing code is not a valid device token (mistyped, or revoked).',
    );
  }

  /**
   * For a token that is not valid: a 401 that says so for a token known to be revoked (a kiosk still
   * holding one is no guesser, so it is not counted), else the failure counted and a 429 once the address
   * has failed too often. Returns when the caller should get the ordinary 401.
   */
  private async refuseWrongToken(token: string, address: string): Promise<void> {
    if (this.tokens.isRevoked(token)) {
      throw new CvError(
        401,
        CvErrorCode.Unauthorized,
        'Access denied: that device token was revoked by the operator. Ask the operator for a current one.',
        UNAUTHORIZED_HEADERS,
      );
    }
    const blockedMs = await this.failures.blockedMs(address);
    if (blockedMs > 0) throw tooManyFailures(blockedMs);
    const nowBlockedMs = await this.failures.recordFailure(address);
    if (nowBlockedMs > 0) throw tooManyFailures(nowBlockedMs);
  }
}

function tooManyFailures(ms: number): CvError {
  const seconds = Math.ceil(ms / 1000);
  return new CvError(
    429,
    CvErrorCode.TooManyRequests,
    `Too many wrong device tokens from this address: refused for ${seconds} s. Please retry after ${seconds} seconds.`,
    { 'Retry-After': String(seconds) },
  );
}
