// Reads and validates the server's configuration from the environment once, at boot. Anything wrong
// stops the server with a message that names the variable and what is wrong with it, never its value
// when the value is a secret.
import { ConfigError, integer, rate, text, type Env } from './env-parse.ts';
import { parseHttpLimits, type HttpLimits } from './http/server-limits.ts';
import { parseSecurity, type SecurityConfig } from './security/config.ts';
import { parseTrainingConfig, type TrainingConfig } from './upstreams/choose-training-backend.ts';
import { parseUpstreamConfig, type UpstreamConfig } from './upstreams/choose-upstream.ts';

export { ConfigError };

export interface ServerConfig {
  readonly port: number;
  readonly host: string;
  readonly security: SecurityConfig;
  readonly http: HttpLimits;
  /** Shared budget and failed-attempt counts across instances; unset: in memory, per instance. */
  readonly redisUrl?: string;
  /** A fixed cap per client on top of its fair share of the budget (PER_CLIENT_TPS). */
  readonly perClientTps?: number;
  /** What answers prediction requests: one kind, with its own settings. */
  readonly upstream: UpstreamConfig;
  /** What answers the training routes: forwarding to Custom Vision's training resource, or nothing. */
  readonly training: TrainingConfig;
  /** Things that are allowed but probably not meant; logged at boot. */
  readonly warnings: readonly string[];
}

/** Exposed over plain HTTP with no TLS proxy declared, tokens travel in clear and browsers cannot pair. */
function securityWarnings(security: SecurityConfig): string[] {
  if (!security.exposed || security.tls || security.trustProxy > 0) return [];
  return [
    'Exposed without TLS: tokens would cross the network in clear, and browsers keep the pairing cookie ' +
      '(Secure) only over HTTPS. Set TLS_CERT_FILE and TLS_KEY_FILE, or serve behind an HTTPS proxy and ' +
      'set TRUST_PROXY=1.',
  ];
}

function parseRedisUrl(env: Env): string | undefined {
  const raw = text(env, 'REDIS_URL');
  if (raw === undefined) return undefined;
  // Never quote it: it may hold a password.
  if (!URL.canParse(raw) || !/^rediss?:$/.test(new URL(raw).protocol)) {
    throw new ConfigError('REDIS_URL must be a redis:// or rediss:// URL, e.g. redis://redis:6379/0.');
  }
  return raw;
}

export function parseConfig(env: Env, cores: number): ServerConfig {
  const port = integer(env, 'PORT', 8080, 0, 65_535);
  const host = text(env, 'HOST') ?? '127.0.0.1';
  const redisUrl = parseRedisUrl(env);
  const perClientTps = rate(env, 'PER_CLIENT_TPS', 'predictions');
  const common = {
    port,
    host,
    security: parseSecurity(env, host),
    http: parseHttpLimits(env),
    ...(redisUrl !== undefined ? { redisUrl } : {}),
    ...(perClientTps !== undefined ? { perClientTps } : {}),
  };
  const upstream = parseUpstreamConfig(env, cores);
  const training = parseTrainingConfig(env);
  return {
    ...common,
    upstream: upstream.config,
    training: training.config,
    warnings: [...upstream.warnings, ...training.warnings, ...securityWarnings(common.security)],
  };
}
