// Who is on the other end of a request, as far as it can be trusted: the socket's address, or, behind
// TRUST_PROXY trusted reverse proxies, the address they report in X-Forwarded-For (never more hops than
// configured, so a client cannot pick its own address by sending the header itself).
import type { IncomingMessage } from 'node:http';
import { TLSSocket } from 'node:tls';

function forwarded(req: IncomingMessage, name: string): string[] {
  const raw = req.headers[name];
  const joined = Array.isArray(raw) ? raw.join(',') : (raw ?? '');
  return joined
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
}

export function clientAddress(req: IncomingMessage, trustProxy: number): string {
  const socketAddress = req.socket.remoteAddress ?? 'unknown';
  if (trustProxy === 0) return socketAddress;
  // Each trusted proxy appends the address it saw: the client is `trustProxy` entries from the right.
  const chain = forwarded(req, 'x-forwarded-for');
  if (chain.length === 0) return socketAddress;
  return chain[Math.max(0, chain.length - trustProxy)]!;
}

/** Whether the client reached us over HTTPS: our own TLS, or a trusted proxy's X-Forwarded-Proto. */
export function isSecure(req: IncomingMessage, trustProxy: number): boolean {
  if (req.socket instanceof TLSSocket) return true;
  if (trustProxy === 0) return false;
  return forwarded(req, 'x-forwarded-proto').at(-1)?.toLowerCase() === 'https';
}
