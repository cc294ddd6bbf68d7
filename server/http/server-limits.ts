// Limits that protect the server from slow or greedy clients: how long headers and bodies may take, how
// long a body may stall, how large headers may be, how many connections may be open, and how long a
// shutdown waits for requests in flight. Read from the environment; applied where the server is built.
import type { ServerOptions } from 'node:http';
import { integer, type Env } from '../env-parse.ts';

export interface HttpLimits {
  /** All request headers must arrive within this (else Node answers 408 and closes). */
  readonly headersTimeoutMs: number;
  /** The whole request, body included, must arrive within this (else 408). */
  readonly requestTimeoutMs: number;
  /** A body that stops arriving for this long is refused with 408 (a slow-drip client). */
  readonly bodyIdleTimeoutMs: number;
  /** Idle keep-alive connections are closed after this; above load balancers' usual 60 s. */
  readonly keepAliveTimeoutMs: number;
  /** Larger request headers are refused with 431. */
  readonly maxHeaderBytes: number;
  /** Connections beyond this are dropped as they arrive. */
  readonly maxConnections: number;
  /** Open connections one client address may hold (0: no cap); not applied behind a trusted proxy. */
  readonly maxConnectionsPerClient: number;
  /** A connection that has sent no whole request for this long after it opened is dropped. */
  readonly firstRequestTimeoutMs: number;
  /** On SIGTERM, requests in flight get this long to finish before their connections are cut. */
  readonly shutdownTimeoutMs: number;
}

export function parseHttpLimits(env: Env): HttpLimits {
  const requestTimeoutMs = integer(env, 'REQUEST_TIMEOUT_MS', 30_000, 1_000, 600_000);
  return {
    headersTimeoutMs: Math.min(requestTimeoutMs, integer(env, 'HEADERS_TIMEOUT_MS', 10_000, 500, 120_000)),
    requestTimeoutMs,
    bodyIdleTimeoutMs: integer(env, 'BODY_IDLE_TIMEOUT_MS', 5_000, 100, 120_000),
    keepAliveTimeoutMs: 65_000,
    maxHeaderBytes: integer(env, 'MAX_HEADER_BYTES', 16 * 1024, 1024, 1024 * 1024),
    maxConnections: integer(env, 'MAX_CONNECTIONS', 512, 1, 100_000),
    // A browser opens at most six connections to a host; 64 leaves room for several behind one address.
    maxConnectionsPerClient: integer(env, 'MAX_CONNECTIONS_PER_CLIENT', 64, 0, 100_000),
    firstRequestTimeoutMs: integer(env, 'FIRST_REQUEST_TIMEOUT_MS', 3_000, 100, 120_000),
    shutdownTimeoutMs: integer(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
  };
}

/** node:http (and node:https) server options for these limits. */
export function serverOptions(limits: HttpLimits): ServerOptions {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    maxHeaderSize: limits.maxHeaderBytes,
    // Node checks the two timeouts above on this interval (30 s by default, too coarse for them).
    connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs),
  };
}
