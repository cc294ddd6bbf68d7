// Serves the built app from dist/: no path traversal, no dotfiles, the right types, and caching that
// lets hashed assets live forever while index.html is always revalidated. (The security headers, CSP
// included, are set on every response by the app.)
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** Maps a URL path to a file under root, or undefined when the path is not one a client may ask for. */
export function resolveStaticPath(root: string, pathname: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const segments = decoded.split('/').filter(Boolean);
  // No "..", no dotfiles or dot-folders (.env, .git): only what the build put there on purpose.
  if (segments.some((segment) => segment.startsWith('.'))) return undefined;
  // Source maps stay on the server for the operator (decoding a stack trace from a report); the build
  // does not point to them and they are not served: they would hand anyone the app's sources.
  if (segments.at(-1)?.endsWith('.map')) return undefined;
  const file = path.resolve(root, ...segments);
  if (file !== root && !file.startsWith(root + path.sep)) return undefined;
  return file;
}

export async function serveStatic(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  root: string,
): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    sendText(res, 405, 'Method not allowed');
    return;
  }
  let file = resolveStaticPath(root, url.pathname === '/' ? '/index.html' : url.pathname);
  let info = file ? await stat(file).catch(() => undefined) : undefined;
  if (info?.isDirectory() && file) {
    file = path.join(file, 'index.html');
    info = await stat(file).catch(() => undefined);
  }
  if (!file || !info?.isFile()) {
    if (url.pathname === '/' || url.pathname === '/index.html') {
      sendText(res, 503, 'The app is not built yet: run `npm run build` (`npm start` does it for you).');
    } else {
      sendText(res, 404, 'Not found');
    }
    return;
  }

  const extension = path.extname(file).toLowerCase();
  const etag = `W/"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
  const hashed = url.pathname.startsWith('/assets/');
  res.setHeader('ETag', etag);
  res.setHeader('Cache-Control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304);
    res.end();
    return;
  }
  res.writeHead(200, {
    'Content-Type': TYPES[extension] ?? 'application/octet-stream',
    'Content-Length': info.size,
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  // Resolves once the whole file is sent: until then the request counts as in flight, so a graceful
  // shutdown waits for it (and its logged time is the download's). A read error or a client that leaves
  // destroys both ends; the app answers nothing more once headers are out.
  await pipeline(createReadStream(file), res);
}
