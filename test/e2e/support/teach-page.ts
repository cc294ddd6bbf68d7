// Drives the teach editor in a page and reads what it produced: the boxes it shows, the drafts it handed to
// the app (the sl-teach events), and where the picture sits on screen, so that tests can compute where a
// gesture must land independently of the app's geometry.
import { expect, type Page } from '@playwright/test';

export interface DraftSeen {
  clientId: string;
  projectId: string;
  width: number;
  height: number;
  imageBytes: number;
  imageType: string;
  tagIds: string[];
  regions: { tagId: string; left: number; top: number; width: number; height: number }[];
  source: { kind: string; predictionId?: string };
}

/** Keeps every sl-teach draft the page fires (with its image as base64) in window.__teachDrafts. */
export async function recordDrafts(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const store = globalThis as unknown as { __teachDrafts: unknown[]; __teachImages: string[] };
    store.__teachDrafts = [];
    store.__teachImages = [];
    (globalThis as unknown as EventTarget).addEventListener('sl-teach', (event) => {
      const draft = (event as CustomEvent<Record<string, unknown> & { image: Blob }>).detail;
      const index = store.__teachDrafts.length;
      store.__teachDrafts.push({
        ...draft,
        image: undefined,
        imageBytes: draft.image.size,
        imageType: draft.image.type,
      });
      void draft.image.arrayBuffer().then((buffer) => {
        let binary = '';
        const bytes = new Uint8Array(buffer);
        for (let i = 0; i < bytes.length; i += 0x8000) {
          binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
        }
        store.__teachImages[index] = btoa(binary);
      });
    });
  });
}

export async function drafts(page: Page): Promise<DraftSeen[]> {
  return page.evaluate(() => (globalThis as unknown as { __teachDrafts: DraftSeen[] }).__teachDrafts);
}

/** Waits for the n-th draft and its image. */
export async function nthDraft(page: Page, index: number): Promise<DraftSeen & { imageBase64: string }> {
  await expect
    .poll(() =>
      page.evaluate(
        (i) => typeof (globalThis as unknown as { __teachImages: string[] }).__teachImages[i] === 'string',
        index,
      ),
    )
    .toBe(true);
  const list = await drafts(page);
  const imageBase64 = await page.evaluate(
    (i) => (globalThis as unknown as { __teachImages: string[] }).__teachImages[i]!,
    index,
  );
  return { ...list[index]!, imageBase64 };
}

/** The editor's stage and the picture inside it, in page coordinates. */
export async function stageGeometry(page: Page): Promise<{
  stage: { x: number; y: number; width: number; height: number };
  picture: { x: number; y: number; width: number; height: number };
}> {
  const stage = (await page.getByTestId('teach-stage').boundingBox())!;
  const picture = (await page.getByTestId('teach-stage').locator('canvas').boundingBox())!;
  return { stage, picture };
}

export interface ShownBox {
  label: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The editor's boxes as the page shows them (page coordinates) with their accessible names. */
export async function shownBoxes(page: Page): Promise<ShownBox[]> {
  const boxes = page.getByTestId('teach-box');
  const out: ShownBox[] = [];
  for (const box of await boxes.all()) {
    const rect = (await box.boundingBox())!;
    out.push({ label: (await box.getAttribute('aria-label')) ?? '', ...rect });
  }
  return out;
}

/** Uploads a draft to the training routes from the page (with its credentials), as the outbox would. */
export async function uploadFromPage(
  page: Page,
  basePath: string,
  draft: DraftSeen & { imageBase64: string },
): Promise<{ status: number; body: unknown }> {
  return page.evaluate(
    async ({ basePath, draft }) => {
      const response = await fetch(`${basePath}/images/files`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          images: [
            {
              name: draft.clientId,
              contents: draft.imageBase64,
              tagIds: draft.tagIds,
              regions: draft.regions,
            },
          ],
        }),
      });
      return { status: response.status, body: await response.json().catch(() => null) };
    },
    { basePath, draft },
  );
}

interface FocusableLike {
  matches(selector: string): boolean;
  getAttribute(name: string): string | null;
  shadowRoot: { activeElement: FocusableLike | null } | null;
}

/** The accessible name of the element that has the focus, looking inside shadow roots. */
export async function focusedLabel(page: Page): Promise<string> {
  return page.evaluate(() => {
    const doc = (globalThis as unknown as { document: { activeElement: FocusableLike | null } }).document;
    let element = doc.activeElement;
    while (element?.shadowRoot?.activeElement) element = element.shadowRoot.activeElement;
    return element?.getAttribute('aria-label') ?? '';
  });
}

/** Presses Tab until the element with this test id has the focus (at most `limit` times). */
export async function tabTo(page: Page, testId: string, limit = 15): Promise<boolean> {
  const target = page.getByTestId(testId);
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab');
    if (await target.evaluate((el) => (el as unknown as FocusableLike).matches(':focus'))) return true;
  }
  return false;
}
