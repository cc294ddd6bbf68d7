// Security headers on every response, whatever route answers it. The Content-Security-Policy allows no
// inline script (the built app has none) and nothing from another origin; the camera is allowed to this
// origin only; HSTS is sent only when the client reached us over HTTPS (our TLS or a trusted proxy's),
// since on plain HTTP it would be ignored at best.
import type { ServerResponse } from 'node:http';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  // WebAssembly compiled from the app's own files (the on-device model's runtime), never eval of script.
  "script-src 'self' 'wasm-unsafe-eval'",
  // Lit's adopted style sheets need no inline styles, but components' style attributes do.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' blob: data:",
  "media-src 'self' blob: mediastream:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "manifest-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const ALWAYS = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  // same-origin rather than no-referrer: a pairing link's token never leaves in a Referer to another site,
  // but the app's own form posts keep their real Origin (no-referrer makes browsers send "Origin: null",
  // which the origin check must refuse).
  'Referrer-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(self), microphone=(), geolocation=(), payment=(), usb=()',
  'Cross-Origin-Opener-Policy': 'same-origin',
  // With the opener policy, this makes the page cross-origin isolated, which WebAssembly threads need
  // (the on-device model's wasm backend); everything the app loads is its own, so nothing is blocked.
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'X-Frame-Options': 'DENY',
} as const;

/** One year; not includeSubDomains, which would bind sibling hosts this server knows nothing about. */
const HSTS = 'max-age=31536000';

const ALWAYS_ENTRIES = Object.entries(ALWAYS);

export function setSecurityHeaders(res: ServerResponse, secure: boolean): void {
  for (const [name, value] of ALWAYS_ENTRIES) res.setHeader(name, value);
  if (secure) res.setHeader('Strict-Transport-Security', HSTS);
}
