// Reading what a person would see of the page's layout: computed sizes, tap targets, overflow. The tests'
// own types have no DOM, so the few browser APIs used are typed here by hand.
import type { Locator, Page } from '@playwright/test';

interface StyleView {
  getComputedStyle(element: unknown): { getPropertyValue(name: string): string };
}

/** A computed CSS length of the element, in pixels (e.g. 'font-size'). */
export function cssPixels(locator: Locator, property: string): Promise<number> {
  return locator.evaluate((element, name) => {
    const view = globalThis as unknown as StyleView;
    return parseFloat(view.getComputedStyle(element).getPropertyValue(name));
  }, property);
}

export interface Target {
  readonly name: string;
  readonly width: number;
  readonly height: number;
  readonly top: number;
  readonly bottom: number;
}

/**
 * Every visible control a person can tap (links, buttons, form fields, summaries), through open shadow
 * roots, with its size on screen. Checkboxes and radios count by their label, which is what is tapped.
 */
export function tapTargets(page: Page): Promise<Target[]> {
  return page.evaluate(() => {
    interface Box {
      width: number;
      height: number;
      top: number;
      bottom: number;
    }
    interface Node {
      shadowRoot?: Node | null;
      tagName?: string;
      type?: string;
      textContent: string | null;
      getAttribute?(name: string): string | null;
      getBoundingClientRect(): Box;
      closest?(selector: string): Node | null;
      querySelectorAll(selector: string): Iterable<Node>;
    }
    const selector = 'a[href], button, select, input, textarea, summary';
    const found: Node[] = [];
    const visit = (root: Node) => {
      for (const element of root.querySelectorAll('*')) {
        if (element.shadowRoot) visit(element.shadowRoot);
      }
      for (const element of root.querySelectorAll(selector)) found.push(element);
    };
    visit((globalThis as unknown as { document: Node }).document);
    const targets = [];
    for (const element of found) {
      const checkable = element.type === 'checkbox' || element.type === 'radio';
      const shown = (checkable ? element.closest?.('label') : undefined) ?? element;
      const box = shown.getBoundingClientRect();
      if (box.width === 0 || box.height === 0) continue;
      const name =
        element.getAttribute?.('aria-label') ??
        element.getAttribute?.('data-testid') ??
        (shown.textContent ?? '').trim().replace(/\s+/g, ' ').slice(0, 40);
      targets.push({
        name: `${element.tagName?.toLowerCase()} "${name}"`,
        width: Math.round(box.width),
        height: Math.round(box.height),
        top: Math.round(box.top),
        bottom: Math.round(box.bottom),
      });
    }
    return targets;
  });
}

/** How far the page is wider than the window (0 when nothing sticks out sideways). */
export function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => {
    const doc = (
      globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }
    ).document.documentElement;
    return Math.max(0, doc.scrollWidth - doc.clientWidth);
  });
}
