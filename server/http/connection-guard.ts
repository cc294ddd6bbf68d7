// Keeps one client from holding the server's connection slots: at most MAX_CONNECTIONS_PER_CLIENT open
// connections per client address (per /64 network for IPv6) (MAX_CONNECTIONS is for the whole server), and a connection that has
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

/**
 * Whom a connection counts against: its address, or for IPv6 its /64 network, since one client (a home
 * router, a phone) is handed a whole /64 and can open each connection from another address in it.
 */
export function connectionClient(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!address.includes(':')) return address;
  const [head = '', tail = ''] = address.split('%')[0]!.split('::');
  const left = head ? head.split(':') : [];
  const right = address.includes('::') && tail ? tail.split(':') : [];
  const groups = address.includes('::')
    ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((group) => parseInt(group || '0', 16).toString(16))
    .join(':')}::/64`;
}

/** The timer of a connection that has not yet sent a whole request. */
const AWAITING_REQUEST = Symbol('awaiting first request');
type WatchedSocket = Socket & { [AWAITING_REQUEST]?: NodeJS.Timeout };

export function guardConnections(server: HttpServer, tls: boolean, options: ConnectionGuardOptions): void {
  const open = new Map<string, number>();
  const capped = options.perClient > 0 && !options.behindProxy;

  server.on('connection', (socket: Socket) => {
    if (!capped) return;
    const address = connectionClient(socket.remoteAddress ?? 'unknown');
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
