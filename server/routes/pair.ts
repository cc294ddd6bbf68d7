// Pairing a browser: it presents a device token once, through a link (GET /pair?token=...) or a code typed
// into a form (POST /pair, a form field or JSON {"token": ...}), and gets an HttpOnly, Secure,
// SameSite=Strict session cookie in exchange, so the token is never kept where a script could read it.
// A link is answered with a redirect to the app, so the token leaves the address bar at once (and the
// Referrer-Policy keeps it out of any Referer). Query strings are never logged.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CvError, CvErrorCode, sendCvError, sendJson } from '../http/cv-error.ts';
import { readBody } from '../http/read-body.ts';
import type { AccessControl } from '../security/access.ts';
import { createSession, sessionCookieHeader } from '../security/session.ts';

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A plain page with a form: no script, no style, so the strict CSP needs no exception. */
function page(
  res: ServerResponse,
  status: number,
  message?: string,
  headers: Record<string, string> = {},
): void {
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Pair this device with Sightline</title></head>
<body><main>
<h1>Pair this device with Sightline</h1>
${message ? `<p role="alert"><strong>${escape(message)}</strong></p>` : ''}
<p>This Sightline server is for paired devices only. Enter the device code (token) the operator gave you;
this browser then stays paired, and the code is not stored where a web page could read it.</p>
<form method="post" action="/pair">
<label>Device code <input name="token" type="password" autocomplete="off" required minlength="20"></label>
<button type="submit">Pair</button>
</form>
</main></body></html>
`;
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': Buffer.byteLength(html),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(html);
}

async function submittedToken(req: IncomingMessage, idleMs: number): Promise<string | undefined> {
  const body = await readBody(req, {
    limit: 4096,
    idleMs,
    tooLarge: () => new CvError(413, CvErrorCode.BadRequest, 'A pairing request is a token, not a document.'),
  });
  const text = body.toString('utf8');
  if (/^application\/json/i.test(req.headers['content-type'] ?? '')) {
    try {
      const json = JSON.parse(text) as { token?: unknown; code?: unknown } | null;
      const value = json?.token ?? json?.code;
      return typeof value === 'string' ? value : undefined;
    } catch {
      return undefined;
    }
  }
  return new URLSearchParams(text).get('token') ?? undefined;
}

export async function handlePair(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  access: AccessControl,
  address: string,
  idleMs: number,
): Promise<void> {
  const wantsJson = /^application\/json/i.test(req.headers['content-type'] ?? '');
  if (!access.enabled) {
    // Nothing to pair with: the server is open on loopback.
    if (wantsJson) sendJson(res, 200, { paired: true, open: true });
    else page(res, 303, undefined, { Location: '/' });
    return;
  }
  const token =
    req.method === 'POST' ? await submittedToken(req, idleMs) : (url.searchParams.get('token') ?? undefined);
  if (!token) {
    if (wantsJson) throw new CvError(400, CvErrorCode.BadRequest, 'Send {"token": "<device token>"}.');
    page(res, 200);
    return;
  }
  try {
    const device = await access.pair(token, address);
    const cookie = { 'Set-Cookie': sessionCookieHeader(createSession(device)) };
    if (wantsJson) sendJson(res, 200, { paired: true, device: device.label }, cookie);
    else page(res, 303, undefined, { ...cookie, Location: '/' });
  } catch (error) {
    if (!(error instanceof CvError)) throw error;
    if (wantsJson) sendCvError(res, error);
    else page(res, error.status, error.message, { ...error.headers });
  }
}
