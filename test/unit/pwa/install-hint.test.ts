import { describe, expect, it } from 'vitest';
import { dismissIosHint, isIosHintDismissed, needsIosInstallHint } from '../../../src/pwa/install-hint.ts';

const UA = {
  iphoneSafari:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  iphoneChrome:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1',
  iphoneInAppWebView:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
  // iPadOS asks for desktop sites: it says Macintosh, and only the touch screen tells it from a Mac.
  ipadSafari:
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
  androidChrome:
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36',
};

describe('needsIosInstallHint', () => {
  it('is true for Safari on an iPhone or iPad, in a tab', () => {
    expect(needsIosInstallHint({ userAgent: UA.iphoneSafari, maxTouchPoints: 5, standalone: false })).toBe(
      true,
    );
    expect(needsIosInstallHint({ userAgent: UA.ipadSafari, maxTouchPoints: 5, standalone: false })).toBe(
      true,
    );
  });

  it('is false once installed, on a Mac, in other iOS browsers and web views, and on Android', () => {
    expect(needsIosInstallHint({ userAgent: UA.iphoneSafari, maxTouchPoints: 5, standalone: true })).toBe(
      false,
    );
    expect(needsIosInstallHint({ userAgent: UA.ipadSafari, maxTouchPoints: 0, standalone: false })).toBe(
      false,
    );
    expect(needsIosInstallHint({ userAgent: UA.iphoneChrome, maxTouchPoints: 5, standalone: false })).toBe(
      false,
    );
    expect(
      needsIosInstallHint({ userAgent: UA.iphoneInAppWebView, maxTouchPoints: 5, standalone: false }),
    ).toBe(false);
    expect(needsIosInstallHint({ userAgent: UA.androidChrome, maxTouchPoints: 5, standalone: false })).toBe(
      false,
    );
  });
});

describe('the dismissed iOS hint', () => {
  it('is remembered in storage', () => {
    const values = new Map<string, string>();
    const storage = {
      getItem: (key: string) => values.get(key) ?? null,
      setItem: (key: string, value: string) => void values.set(key, value),
    };
    expect(isIosHintDismissed(storage)).toBe(false);
    dismissIosHint(storage);
    expect(isIosHintDismissed(storage)).toBe(true);
  });

  it('comes back rather than failing when storage throws', () => {
    const broken = {
      getItem: (): string | null => {
        throw new Error('SecurityError');
      },
      setItem: (): void => {
        throw new Error('QuotaExceededError');
      },
    };
    expect(() => dismissIosHint(broken)).not.toThrow();
    expect(isIosHintDismissed(broken)).toBe(false);
  });
});
