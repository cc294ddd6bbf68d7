// The frame worker's two ways of making a frame, in a real Chromium on real camera frames: during its
// first frames it tries the Y'CbCr path (the camera's planes encoded directly) and the canvas path in turn,
// on the same still picture, so the JPEGs it sends then show that both work and make the same picture,
// and that the planes path costs no more bytes. It then says which one it keeps.
import { expect, test, type Page } from '@playwright/test';
import sharp from 'sharp';
import { FIXTURES } from '../support/fixtures.ts';
import { launchWithCamera, waitForLabel, type CameraBrowser } from './support/live-page.ts';
import { E2E_ORIGIN } from './support/server-port.ts';

/**
 * Which path made a JPEG: this app's encoder writes both quantisation tables in one DQT segment,
 * libjpeg (behind the canvas) one segment per table. Counted up to the start of the scan.
 */
function madeBy(jpeg: Buffer): 'yuv' | 'canvas' {
  let tables = 0;
  for (let at = 2; at + 4 <= jpeg.length;) {
    if (jpeg[at] !== 0xff) throw new Error(`not a JPEG marker at byte ${at}`);
    const marker = jpeg[at + 1]!;
    if (marker === 0xda) break;
    if (marker === 0xdb) tables++;
    at += 2 + jpeg.readUInt16BE(at + 2);
  }
  return tables === 1 ? 'yuv' : 'canvas';
}

async function rgb(jpeg: Buffer) {
  const { data, info } = await sharp(jpeg).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

function psnr(a: Buffer, b: Buffer): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i]! - b[i]!) ** 2;
  return 10 * Math.log10((255 * 255) / (sum / a.length));
}

/** The frames the page sends for prediction, as they leave it. */
function sentFrames(page: Page): Buffer[] {
  const frames: Buffer[] = [];
  page.on('request', (request) => {
    const body = request.postDataBuffer();
    if (request.method() === 'POST' && request.url().includes('/customvision/') && body) frames.push(body);
  });
  return frames;
}

test('the planes path and the canvas path send the same picture, the planes path in no more bytes', async () => {
  let session: CameraBrowser | undefined;
  try {
    session = await launchWithCamera(FIXTURES.coffee.file);
    const context = await session.browser.newContext({ viewport: { width: 900, height: 800 } });
    const page = await context.newPage();
    const frames = sentFrames(page);
    const choice = new Promise<string>((resolve) => {
      page.on('worker', (worker) =>
        worker.on('console', (message) => {
          if (message.text().startsWith('Sightline: frames from')) resolve(message.text());
        }),
      );
    });
    await page.goto(`${E2E_ORIGIN}/`);
    await waitForLabel(page, FIXTURES.coffee.label);
    // The worker says which path it keeps once it has timed both.
    const said = await choice;
    expect(said).toMatch(/^Sightline: frames from I420 600x400 take the (yuv|canvas) path/);

    const byPath = { yuv: [] as Buffer[], canvas: [] as Buffer[] };
    for (const frame of frames) byPath[madeBy(frame)].push(frame);
    expect(byPath.yuv.length).toBeGreaterThan(0);
    expect(byPath.canvas.length).toBeGreaterThan(0);

    const planes = await rgb(byPath.yuv[0]!);
    const canvas = await rgb(byPath.canvas[0]!);
    expect([planes.width, planes.height]).toEqual([512, 341]);
    expect([canvas.width, canvas.height]).toEqual([512, 341]);
    // Two downscaling filters and two encoders on one picture: close, not identical.
    const similarity = psnr(planes.data, canvas.data);
    test.info().annotations.push({
      type: 'frame paths',
      description: `${said}; ${frames.length} frames; PSNR planes vs canvas ${similarity.toFixed(1)} dB; bytes ${byPath.yuv[0]!.length} vs ${byPath.canvas[0]!.length}`,
    });
    expect(similarity).toBeGreaterThan(30);
    const median = (sizes: number[]) => sizes.sort((a, b) => a - b)[sizes.length >> 1]!;
    expect(median(byPath.yuv.map((f) => f.length))).toBeLessThanOrEqual(
      median(byPath.canvas.map((f) => f.length)),
    );
  } finally {
    await session?.browser.close();
  }
});
