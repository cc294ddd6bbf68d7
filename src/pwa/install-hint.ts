// Safari on iOS and iPadOS has no beforeinstallprompt: installing is a manual step (Share, then Add to Home
// Screen) that users rarely find. These decide when to say so, and remember that the user dismissed it.

export interface PlatformFacts {
  readonly userAgent: string;
  readonly maxTouchPoints: number;
  /** Already running as an installed app (display-mode standalone, or Safari's navigator.standalone). */
  readonly standalone: boolean;
}

const DISMISSED_KEY = 'sightline.iosInstallHintDismissed';

/** Safari on an iPhone, iPod or iPad, in a browser tab rather than installed. */
export function needsIosInstallHint(facts: PlatformFacts): boolean {
  if (facts.standalone) return false;
  const ua = facts.userAgent;
  // iPadOS 13+ asks for desktop sites and says "Macintosh"; only its touch screen gives it away.
  const iOS = /iPhone|iPod|iPad/.test(ua) || (/Macintosh/.test(ua) && facts.maxTouchPoints > 1);
  // Other iOS browsers (and in-app web views, which lack the Safari token) have a different Share flow.
  const safari = /Safari\//.test(ua) && !/CriOS|FxiOS|EdgiOS|OPiOS|GSA\/|YaBrowser|DuckDuckGo/.test(ua);
  return iOS && safari;
}

export function currentPlatformFacts(): PlatformFacts {
  const standalone =
    window.matchMedia('(display-mode: standalone)').matches ||
    (navigator as Navigator & { standalone?: boolean }).standalone === true;
  return { userAgent: navigator.userAgent, maxTouchPoints: navigator.maxTouchPoints, standalone };
}

// Storage can throw, even on access (Safari's private mode in older versions, blocked site data): then
// the hint simply comes back next time.
export function isIosHintDismissed(storage?: Pick<Storage, 'getItem'>): boolean {
  try {
    return (storage ?? localStorage).getItem(DISMISSED_KEY) === '1';
  } catch {
    return false;
  }
}

export function dismissIosHint(storage?: Pick<Storage, 'setItem'>): void {
  try {
    (storage ?? localStorage).setItem(DISMISSED_KEY, '1');
  } catch {
    // Not remembered; see above.
  }
}
