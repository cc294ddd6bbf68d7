// Pairing this browser with a server that needs device tokens: the token comes from a QR code (a pairing
// link, or the bare token) or is typed, and is exchanged at POST /pair for an HttpOnly session cookie.
// The token itself is never stored by the page.

const PAIR_PATH = '/pair';

/** The device token in what a QR code holds: a pairing link (…/pair?token=…) or the token itself. */
export function tokenFromCode(raw: string): string | undefined {
  const text = raw.trim();
  if (text === '') return undefined;
  try {
    const url = new URL(text);
    return url.searchParams.get('token')?.trim() || undefined;
  } catch {
    // Not a link: a bare token, as long as it is one word.
    return /\s/.test(text) ? undefined : text;
  }
}

export type PairOutcome = { readonly ok: true } | { readonly ok: false; readonly message: string };

/** Presents the token once; the server answers with the session cookie (which the page cannot read). */
export async function pairDevice(token: string, doFetch: typeof fetch = fetch): Promise<PairOutcome> {
  let response: Response;
  try {
    response = await doFetch(PAIR_PATH, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ token }),
      credentials: 'same-origin',
    });
  } catch {
    return { ok: false, message: "Can't reach the Sightline server. Check the connection and try again." };
  }
  if (response.ok) return { ok: true };
  if (response.status === 401 || response.status === 403) {
    return { ok: false, message: 'That code was not accepted. Check it with the operator and try again.' };
  }
  if (response.status === 429) {
    return {
      ok: false,
      message: 'Too many wrong codes from this network. Wait a few minutes, then try again.',
    };
  }
  return { ok: false, message: `The server could not pair this device (error ${response.status}).` };
}
