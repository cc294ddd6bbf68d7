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

/**
 * The page's look: the app's colours, type and large touch targets (48 px), light and dark. Inline style
 * is allowed by the Content-Security-Policy (style-src 'unsafe-inline'); inline script is not, so the page
 * has none: scanning a QR code with the camera happens in the app itself (/#pair), linked from here.
 */
const STYLE = `
:root { --bg: #f4f6fa; --surface: #fff; --text: #111827; --muted: #4b5563; --border: #d7dce5;
  --accent: #0e7490; --bad: #b91c1c; color-scheme: light dark; }
@media (prefers-color-scheme: dark) { :root { --bg: #0b1220; --surface: #131c2e; --text: #e5e9f0;
  --muted: #9aa5b8; --border: #26324a; --accent: #22d3ee; --bad: #f87171; } }
* { box-sizing: border-box; }
body { margin: 0; min-height: 100vh; background: var(--bg); color: var(--text);
  font: 1rem/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
header { display: flex; align-items: center; gap: 0.75rem; padding: 0.75rem 1rem;
  background: var(--surface); border-bottom: 1px solid var(--border); }
header img { width: 32px; height: 32px; }
header .title { margin: 0; font-size: 1.375rem; font-weight: 700; }
main { max-width: 32rem; margin: 0 auto; padding: 1rem; }
.card { background: var(--surface); border: 1px solid var(--border); border-radius: 0.75rem;
  padding: 1.25rem; margin-bottom: 1rem; }
h1 { margin: 0 0 0.5rem; font-size: 1.375rem; }
p { margin: 0 0 1rem; }
.problem { color: var(--bad); font-weight: 600; }
label { display: grid; gap: 0.375rem; font-weight: 600; }
input { font: inherit; font-size: 1.125rem; width: 100%; min-height: 3rem; padding: 0.5rem 0.75rem;
  border: 1px solid var(--border); border-radius: 0.5rem; background: var(--bg); color: var(--text); }
button, .button { display: flex; align-items: center; justify-content: center; width: 100%;
  min-height: 3rem; margin-top: 1rem; padding: 0.5rem 1rem; border-radius: 0.5rem; font: inherit; text-align: center;
  font-weight: 600; text-decoration: none; cursor: pointer; }
button { border: 1px solid var(--accent); background: var(--accent); color: var(--surface); }
.button { border: 1px solid var(--accent); color: var(--accent); background: transparent; }
a.back { display: inline-flex; align-items: center; min-height: 3rem; color: var(--accent); }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
`;

/** The pairing page, styled like the app, with a form: no script, so the strict CSP needs no exception. */
function page(
  res: ServerResponse,
  status: number,
  message?: string,
  headers: Record<string, string> = {},
): void {
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Pair this device with Sightline</title><link rel="icon" href="/favicon.svg"><style>${STYLE}</style></head>
<body><header><img src="/favicon.svg" alt=""><p class="title">Sightline</p></header>
<main>
<section class="card" aria-labelledby="pair-heading">
<h1 id="pair-heading">Pair this device</h1>
${message ? `<p class="problem" role="alert">${escape(message)}</p>` : ''}
<p>This Sightline server is for paired devices only. Enter the device code the operator gave you, or scan
its QR code. This browser then stays paired, and the code is not stored where a web page could read it.</p>
<form method="post" action="/pair">
<label for="token">Device code</label>
<input id="token" name="token" type="password" autocomplete="off" autocapitalize="off" spellcheck="false" required minlength="20">
<button type="submit">Pair</button>
</form>
<a class="button" href="/#pair">Scan the QR code with the camera</a>
</section>
<a class="back" href="/">← Back to Sightline</a>
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
