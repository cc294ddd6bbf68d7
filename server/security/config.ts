// The security side of the configuration: who may call the server (device tokens), from which web
// origins, through how many trusted proxies, and over TLS or not. Bound to anything but loopback, the
// server will not start open: it says how to configure tokens instead.
import { ConfigError, integer, isLoopback, text, type Env } from '../env-parse.ts';
import { parseTokenList, TOKEN_ADVICE, type DeviceToken } from './tokens.ts';

export interface SecurityConfig {
  /** Tokens from ACCESS_TOKENS (fixed until restart). */
  readonly tokens: readonly DeviceToken[];
  /** "!token" entries of ACCESS_TOKENS: revoked, so a device presenting one is not taken for a guesser. */
  readonly revokedTokens: readonly DeviceToken[];
  /** ACCESS_TOKENS_FILE: re-read when it changes or on SIGHUP, so a token can be revoked live. */
  readonly tokensFile?: string;
  /** Origins besides the server's own that browsers may call it from (CORS). */
  readonly allowedOrigins: readonly string[];
  /** How many reverse proxies in front are trusted for X-Forwarded-For / X-Forwarded-Proto. */
  readonly trustProxy: number;
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
  /** Whether HOST lets other machines connect. */
  readonly exposed: boolean;
}

/** Access control is on when any token source is configured. */
export const accessControlled = (security: SecurityConfig): boolean =>
  security.tokens.length > 0 || security.tokensFile !== undefined;

function parseOrigins(raw: string | undefined): string[] {
  if (raw === undefined) return [];
  return raw
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      if (entry === '*') {
        throw new ConfigError(
          'ALLOWED_ORIGINS must list origins (e.g. https://kiosk.example.org), not "*": ' +
            'any web page could then spend your prediction budget.',
        );
      }
      let url: URL | undefined;
      try {
        url = new URL(entry);
      } catch {
        url = undefined;
      }
      if (!url || !/^https?:$/.test(url.protocol) || url.origin !== entry.replace(/\/$/, '')) {
        throw new ConfigError(
          `ALLOWED_ORIGINS entries must be origins like https://app.example.org (scheme, host, optional port, ` +
            `no path); "${entry}" is not.`,
        );
      }
      return url.origin;
    });
}

export function parseSecurity(env: Env, host: string): SecurityConfig {
  const inline = text(env, 'ACCESS_TOKENS');
  const parsed =
    inline === undefined
      ? { tokens: [], revoked: [], problems: [] }
      : parseTokenList(inline, 'ACCESS_TOKENS');
  if (parsed.problems.length) throw new ConfigError(parsed.problems[0]);
  const tokensFile = text(env, 'ACCESS_TOKENS_FILE');

  const certFile = text(env, 'TLS_CERT_FILE');
  const keyFile = text(env, 'TLS_KEY_FILE');
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new ConfigError('TLS_CERT_FILE and TLS_KEY_FILE go together: set both (PEM files) or neither.');
  }

  const security: SecurityConfig = {
    tokens: parsed.tokens,
    revokedTokens: parsed.revoked,
    ...(tokensFile !== undefined ? { tokensFile } : {}),
    allowedOrigins: parseOrigins(text(env, 'ALLOWED_ORIGINS')),
    trustProxy: integer(env, 'TRUST_PROXY', 0, 0, 10),
    ...(certFile !== undefined && keyFile !== undefined ? { tls: { certFile, keyFile } } : {}),
    exposed: !isLoopback(host),
  };
  if (security.exposed && !accessControlled(security)) {
    throw new ConfigError(
      `HOST=${host} lets other machines reach this server, which holds a paid key, so it will not run open. ` +
        `Set ACCESS_TOKENS=<token>[,<token>...] or ACCESS_TOKENS_FILE=/path/to/tokens (one token a line), ` +
        `and give each device its token. ${TOKEN_ADVICE}. Or keep it private with HOST=127.0.0.1.`,
    );
  }
  return security;
}
