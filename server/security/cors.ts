// Which web pages may call the server. Same origin only by default; ALLOWED_ORIGINS adds a list. A
// request that a browser marks with a foreign Origin is refused with 403 before anything is done for it
// (a browser would hide the answer, but the prediction would already be spent). Allowed origins get CORS
// headers and preflight answers. While the server runs open on loopback, the Host header must name
// loopback too: that stops DNS rebinding, where a web page's own domain is pointed at 127.0.0.1.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isLoopback } from '../env-parse.ts';
import { CvError, CvErrorCode } from '../http/cv-error.ts';

export interface OriginPolicy {
  readonly allowedOrigins: readonly string[];
  /** Open (no tokens) on loopback: enforce the loopback Host check. */
  readonly openLoopback: boolean;
}

// The headers Custom Vision's SDKs send: a device token may come as Prediction-Key or Training-Key.
const ALLOWED_HEADERS = 'Authorization, Prediction-Key, Training-Key, Content-Type';
const EXPOSED_HEADERS = 'Retry-After, X-Request-Id, Server-Timing, apim-request-id';

function hostname(host: string): string {
  // "[::1]:8080" -> "[::1]", "localhost:8080" -> "localhost"
  return host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0]!;
}

/**
 * Applies the origin policy. Returns true when the request has been answered here (a preflight);
 * throws a 403 CvError for a foreign origin or, when open on loopback, a foreign Host.
 */
export function applyOriginPolicy(
  req: IncomingMessage,
  res: ServerResponse,
  policy: OriginPolicy,
  secure: boolean,
): boolean {
  const host = req.headers.host ?? '';
  if (policy.openLoopback && !isLoopback(hostname(host))) {
    throw new CvError(
      403,
      CvErrorCode.Forbidden,
      `This server runs without access control, so it answers only to loopback names (localhost, 127.0.0.1), not "${hostname(host).slice(0, 100)}". To serve other names, configure ACCESS_TOKENS.`,
    );
  }
  const origin = req.headers.origin;
  if (origin === undefined) return false;
  const own = `${secure ? 'https' : 'http'}://${host}`.toLowerCase();
  const allowed = policy.allowedOrigins.includes(origin);
  if (origin.toLowerCase() !== own && !allowed) {
    throw new CvError(
      403,
      CvErrorCode.Forbidden,
      `Requests from the web origin ${origin.slice(0, 200)} are not allowed: this server answers its own pages only. The operator can add the origin to ALLOWED_ORIGINS.`,
    );
  }
  if (!allowed) return false;
  res.setHeader('Access-Control-Allow-Origin', origin);
  res.setHeader('Vary', 'Origin');
  res.setHeader('Access-Control-Expose-Headers', EXPOSED_HEADERS);
  if (req.method === 'OPTIONS' && req.headers['access-control-request-method']) {
    res.writeHead(204, {
      // DELETE: the training routes delete images, regions, tags and publications.
      'Access-Control-Allow-Methods': 'GET, HEAD, POST, DELETE',
      'Access-Control-Allow-Headers': ALLOWED_HEADERS,
      'Access-Control-Max-Age': '600',
      'Content-Length': '0',
    });
    res.end();
    return true;
  }
  return false;
}
