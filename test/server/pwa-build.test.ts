// The production build is an installable, offline-capable PWA: a complete web manifest with real icons,
// and a service worker whose precache holds the whole app shell, with nothing fetched from a CDN. Builds
// once into a temporary folder, so the test neither needs nor disturbs dist/.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Hosts that serve libraries to browsers: an offline installation can reach none of them. */
const CDN =
  /https?:\/\/(?:[\w-]+\.)*(?:googleapis\.com|gstatic\.com|jsdelivr\.net|unpkg\.com|cdnjs\.cloudflare\.com|esm\.sh|skypack\.dev|jspm\.io|jspm\.dev|cdn\.[\w.-]+)/i;

interface ManifestIcon {
  src: string;
  sizes: string;
  type: string;
  purpose?: string;
}

interface WebManifest {
  [key: string]: unknown;
  icons: ManifestIcon[];
  shortcuts?: { name?: string; url?: string }[];
}

let outDir: string;
const read = (file: string): string => readFileSync(path.join(outDir, file), 'utf8');

function allFiles(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? allFiles(path.join(dir, entry.name), `${prefix}${entry.name}/`)
      : [`${prefix}${entry.name}`],
  );
}

/** Width and height from a PNG's IHDR chunk, after checking the signature. */
function pngSize(file: string): { width: number; height: number } {
  const bytes = readFileSync(file);
  expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  expect(bytes.subarray(12, 16).toString('latin1')).toBe('IHDR');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

/** The precache list Workbox injected into sw.js in place of self.__WB_MANIFEST. */
function precacheUrls(sw: string): string[] {
  const match = /\[\{"revision":[^\]]*\]/.exec(sw);
  expect(match, 'sw.js holds no precache manifest').not.toBeNull();
  const entries = JSON.parse(match![0]) as { url: string; revision: string | null }[];
  return entries.map((entry) => entry.url);
}

beforeAll(async () => {
  outDir = mkdtempSync(path.join(os.tmpdir(), 'sightline-pwa-build-'));
  // Vitest sets NODE_ENV=test, which would give a development build: no service worker registration
  // (import.meta.env.PROD) and Workbox's debugging code in sw.js. Build what `npm run build` builds.
  const nodeEnv = process.env['NODE_ENV'];
  process.env['NODE_ENV'] = 'production';
  try {
    await build({
      root: ROOT,
      configFile: path.join(ROOT, 'vite.config.ts'),
      mode: 'production',
      logLevel: 'warn',
      build: { outDir, emptyOutDir: true },
    });
  } finally {
    process.env['NODE_ENV'] = nodeEnv;
  }
});

afterAll(() => {
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

describe('the web app manifest', () => {
  it('is linked from index.html and complete', () => {
    expect(read('index.html')).toMatch(/<link rel="manifest" href="\/manifest\.webmanifest"/);
    const manifest = JSON.parse(read('manifest.webmanifest')) as WebManifest;
    expect(manifest).toMatchObject({
      name: 'Sightline — live camera detection',
      short_name: 'Sightline',
      id: '/',
      start_url: '/',
      scope: '/',
      display: 'standalone',
    });
    expect(manifest['description']).toEqual(expect.stringMatching(/^.{20,}$/));
    expect(manifest['theme_color']).toMatch(/^#[0-9a-f]{6}$/i);
    expect(manifest['background_color']).toMatch(/^#[0-9a-f]{6}$/i);
  });

  it('lists PNG icons of the sizes they declare, with maskable and plain ones at 192 and 512', () => {
    const { icons } = JSON.parse(read('manifest.webmanifest')) as WebManifest;
    for (const icon of icons) {
      expect(icon.type).toBe('image/png');
      const [width, height] = icon.sizes.split('x').map(Number);
      expect(pngSize(path.join(outDir, icon.src))).toEqual({ width, height });
    }
    const has = (purpose: string) =>
      icons
        .filter((icon) => (icon.purpose ?? 'any').split(' ').includes(purpose))
        .map((icon) => icon.sizes)
        .sort();
    expect(has('maskable')).toEqual(['192x192', '512x512']);
    expect(has('any')).toEqual(['192x192', '512x512']);
  });

  it('has a shortcut that opens kiosk mode', () => {
    const { shortcuts } = JSON.parse(read('manifest.webmanifest')) as WebManifest;
    expect(shortcuts).toContainEqual(expect.objectContaining({ name: 'Kiosk mode', url: '/?kiosk=1' }));
  });
});

describe('the service worker', () => {
  it('precaches the app shell: index.html, its script and styles, the frame worker and the icons', () => {
    const urls = precacheUrls(read('sw.js'));
    const html = read('index.html');
    const shell = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]!);
    expect(shell.some((file) => file.endsWith('.js'))).toBe(true);
    const worker = allFiles(path.join(outDir, 'assets')).find((file) => /^frame\.worker-.*\.js$/.test(file));
    expect(worker, 'the frame worker chunk').toBeDefined();
    const { icons } = JSON.parse(read('manifest.webmanifest')) as WebManifest;

    const expected = [
      'index.html',
      'manifest.webmanifest',
      ...shell,
      `assets/${worker!}`,
      ...icons.map((icon) => icon.src.replace(/^\//, '')),
    ];
    expect(urls).toEqual(expect.arrayContaining(expected));
    // Everything listed was built, and neither the worker itself nor source maps are in the list.
    for (const url of urls) expect(statSync(path.join(outDir, url)).isFile()).toBe(true);
    expect(urls.filter((url) => url === 'sw.js' || url.endsWith('.map'))).toEqual([]);
  });

  it('writes source maps for the operator but points no bundle at them', () => {
    const assets = allFiles(path.join(outDir, 'assets'));
    expect(assets.some((file) => file.endsWith('.js.map'))).toBe(true);
    for (const file of assets.filter((name) => name.endsWith('.js'))) {
      expect(read(`assets/${file}`), file).not.toMatch(/sourceMappingURL/);
    }
  });

  it('is what the app registers, and has Workbox bundled in rather than fetched', () => {
    const sw = read('sw.js');
    expect(sw).not.toMatch(/importScripts\s*\(/);
    expect(sw).not.toContain('self.__WB_MANIFEST');
    const entry = /<script type="module"[^>]* src="\/(assets\/[^"]+\.js)"/.exec(read('index.html'))?.[1];
    const registration = allFiles(outDir)
      .filter((file) => file.endsWith('.js') && file !== 'sw.js')
      .some((file) => read(file).includes('/sw.js'));
    expect(entry).toBeDefined();
    expect(registration).toBe(true);
  });

  it('and every other built file name no CDN', () => {
    const offenders = allFiles(outDir)
      .filter((file) => /\.(?:html|js|css|json|webmanifest|map|svg)$/.test(file))
      .filter((file) => CDN.test(read(file)));
    expect(offenders).toEqual([]);
  });
});
