// Device tokens: parsing a list (ACCESS_TOKENS, or a file of one token a line), and matching a presented
// token against it in constant time. A token is only ever held here and compared; what leaves this module
// is its label, its role and a short id (a hash prefix), safe for logs and metrics.
//
// An entry is "token", "label:token", "label@role:token" or "@role:token". A token that names no role is
// for predictions only: the lists written before roles existed keep meaning what they meant.
import { createHash, timingSafeEqual } from 'node:crypto';
import { isRole, ROLES, type Role } from '../../src/shared/roles.ts';

export interface DeviceToken {
  /** For people and logs: the name given in the list, or "token-<id>". */
  readonly label: string;
  /** The first 16 hex digits of the token's SHA-256: stable, and useless for guessing the token. */
  readonly id: string;
  /** The SHA-256 of the token, compared in constant time. */
  readonly digest: Buffer;
  /** The token itself: the session cookie is signed with it, and log lines are scrubbed of it. */
  readonly secret: string;
  /** What the device may do; "predict" unless the entry says more. */
  readonly role: Role;
}

export interface ParsedTokens {
  readonly tokens: readonly DeviceToken[];
  /**
   * Entries written "!token" or "!label:token": revoked on purpose. A device still presenting one is
   * told so and is not counted as guessing (see access.ts).
   */
  readonly revoked: readonly DeviceToken[];
  /** One sentence per line that was skipped, naming the line, never quoting it (it may be a token). */
  readonly problems: readonly string[];
}

/** Long enough that guessing is hopeless: 20+ characters of base64url/hex, e.g. 24 random bytes. */
const TOKEN = /^[A-Za-z0-9._~+/=-]{20,256}$/;
const LABEL = /^[A-Za-z0-9._-]{1,64}$/;

export const TOKEN_ADVICE =
  'A token is 20 to 256 letters, digits or ._~+/=- characters; make one with ' +
  `node -e "console.log(require('node:crypto').randomBytes(24).toString('base64url'))"`;

const sha256 = (value: string) => createHash('sha256').update(value).digest();

export function deviceToken(secret: string, label?: string, role: Role = 'predict'): DeviceToken {
  const digest = sha256(secret);
  const id = digest.subarray(0, 8).toString('hex');
  return { label: label ?? `token-${id}`, id, digest, secret, role };
}

/** "lobby@manage" -> label "lobby", role "manage"; "@contribute" -> no label; "lobby" -> role predict. */
function readName(name: string): { label?: string; role?: string } {
  const at = name.indexOf('@');
  if (at < 0) return { label: name };
  const label = name.slice(0, at).trim();
  return { ...(label ? { label } : {}), role: name.slice(at + 1).trim() };
}

/**
 * Reads "token", "label:token", "label@role:token" or "@role:token" entries, one a line (ACCESS_TOKENS may also separate them with commas),
 * skipping blank lines and lines starting with #; an entry starting with "!" is a revoked token. A
 * malformed line is skipped and reported; the rest of the list still counts.
 */
export function parseTokenList(text: string, source: string, unit: 'line' | 'entry' = 'entry'): ParsedTokens {
  const tokens: DeviceToken[] = [];
  const revoked: DeviceToken[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  text.split(unit === 'line' ? /\r?\n/ : /\r?\n|,/).forEach((raw, index) => {
    const entry = raw.trim();
    if (entry === '' || entry.startsWith('#')) return;
    const isRevoked = entry.startsWith('!');
    const line = isRevoked ? entry.slice(1).trim() : entry;
    const colon = line.indexOf(':');
    const { label, role } = colon >= 0 ? readName(line.slice(0, colon).trim()) : {};
    const secret = colon >= 0 ? line.slice(colon + 1).trim() : line;
    const where = `${source}, ${unit} ${index + 1}`;
    if (label !== undefined && !LABEL.test(label)) {
      problems.push(`${where}: a label is 1 to 64 letters, digits or ._- characters; skipped.`);
    } else if (role !== undefined && !isRole(role)) {
      // A role is a short word the operator typed, never the token: safe to quote.
      const quoted = role.length <= 16 && /^[\w-]*$/.test(role) ? ` "${role}"` : '';
      problems.push(`${where}: the role${quoted} is not one of ${ROLES.join(', ')}; skipped.`);
    } else if (!TOKEN.test(secret)) {
      problems.push(`${where}: not a usable token (${secret.length} characters). ${TOKEN_ADVICE}; skipped.`);
    } else if (!seen.has(`${isRevoked}:${secret}`)) {
      seen.add(`${isRevoked}:${secret}`);
      (isRevoked ? revoked : tokens).push(deviceToken(secret, label, role));
    }
  });
  // A token both listed and revoked is revoked: the "!" line is the operator's later thought.
  const revokedIds = new Set(revoked.map((token) => token.id));
  return { tokens: tokens.filter((token) => !revokedIds.has(token.id)), revoked, problems };
}

/**
 * The entry whose token is `presented`, or undefined. Every entry is compared, with no early exit, on
 * fixed-length digests: the time taken says nothing about how close a guess was.
 */
export function matchToken(tokens: readonly DeviceToken[], presented: string): DeviceToken | undefined {
  const digest = sha256(presented);
  let found: DeviceToken | undefined;
  for (const token of tokens) {
    if (timingSafeEqual(token.digest, digest) && !found) found = token;
  }
  return found;
}
