// Keeps one client from holding the server's connection slots: at most MAX_CONNECTIONS_PER_CLIENT open
// connections per client address (MAX_CONNECTIONS is for the whole server), and a connection that has
// sent no complete request within FIRST_REQUEST_TIMEOUT_MS is dropped, long before the headers timeout
// would. Without these, one client opening hundreds of silent sockets filled MAX_CONNECTIONS and made
// other clients' health probes fail.
//
// Behind a trusted proxy every connection comes from the proxy, so the per-address cap is not applied
// there (the proxy is the place to cap clients); the first-request timeout still is.
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

export interface ConnectionGuardOptions {
  /** 0: no cap per address. */
  readonly perClient: number;
  readonly firstRequestMs: number;
  /** Whether connections come through a trusted proxy (their address is the proxy's). */
  readonly behindProxy: boolean;
  /** Told of every connection dropped, and why. */
  readonly onDrop: (reason: 'connections-per-client' | 'no-request') => void;
}

/** The timer of a connection that has not yet sent a whole request. */
const AWAITING_REQUEST = Symbol('awaiting first request');
type WatchedSocket = Socket & { [AWAITING_REQUEST]?: NodeJS.Timeout };

export function guardConnections(server: HttpServer, tls: boolean, options: ConnectionGuardOptions): void {
  const open = new Map<string, number>();
  const capped = options.perClient > 0 && !options.behindProxy;

  server.on('connection', (socket: Socket) => {
    if (!capped) return;
    const address = socket.remoteAddress ?? 'unknown';
    const count = open.get(address) ?? 0;
    if (count >= options.perClient) {
      options.onDrop('connections-per-client');
      socket.destroy();
      return;
    }
    open.set(address, count + 1);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left > 0) open.set(address, left);
      else open.delete(address);
    });
  });

  // Over TLS, requests arrive on the TLS socket, once the handshake is done (which TLS's own handshake
  // timeout bounds, set to the same value where the server is built).
  server.on(tls ? 'secureConnection' : 'connection', (socket: WatchedSocket) => {
    if (socket.destroyed) return;
    const timer = setTimeout(() => {
      options.onDrop('no-request');
      socket.destroy();
    }, options.firstRequestMs);
    timer.unref();
    socket[AWAITING_REQUEST] = timer;
    socket.once('close', () => clearTimeout(timer));
  });
  server.on('request', (req: IncomingMessage) => {
    const socket = req.socket as WatchedSocket;
    const timer = socket[AWAITING_REQUEST];
    if (timer === undefined) return;
    clearTimeout(timer);
    socket[AWAITING_REQUEST] = undefined;
  });
}
