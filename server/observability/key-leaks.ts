// Finds a secret (the Custom Vision key) in text an upstream sent back, in the forms a client could turn
// back into it: the key itself in any letter case, a part of it long enough to matter, and the key
// base64-, hex- or percent-encoded, or \u-escaped inside a JSON string (the client's JSON.parse undoes the
// escape). An upstream answer is relayed with every JSON string that leaks replaced, and a relayed header
// that leaks is dropped.
//
// The common case, an answer that holds no such thing, costs one scan of the body for runs of key-like
// characters; JSON is parsed only when that scan finds something or the body has escapes in it.

/** A run of this many of the key's characters, in order, counts as a leak of the key. */
export const LEAK_PART_CHARS = 12;
/** Runs of the characters base64, base64url and hex use, long enough to hide such a part once encoded. */
const ENCODED_RUN = /[A-Za-z0-9+/=_-]{12,}/g;
const HEX = /^[0-9a-fA-F]+$/;
const PERCENT = /%[0-9a-fA-F]{2}/;

export const REDACTED = '[redacted]';

export class KeyLeakDetector {
  /** Every LEAK_PART_CHARS-long window of the lower-cased key. */
  private readonly parts: ReadonlySet<string>;

  constructor(secret: string) {
    const lower = secret.toLowerCase();
    const parts = new Set<string>();
    for (let i = 0; i + LEAK_PART_CHARS <= lower.length; i++) parts.add(lower.slice(i, i + LEAK_PART_CHARS));
    if (parts.size === 0) parts.add(lower);
    this.parts = parts;
  }

  /** Whether `text` holds the key, a part of it, or either encoded in a way a client could undo. */
  leaks(text: string): boolean {
    if (this.leaksPlainOrEncoded(text)) return true;
    return PERCENT.test(text) && this.leaksPlainOrEncoded(percentDecoded(text));
  }

  /**
   * An upstream's JSON body with every string (keys too) that leaks replaced by "[redacted]"; the same
   * Buffer when nothing leaks. A body that is not JSON is replaced whole if it leaks.
   */
  scrubBody(body: Buffer): Buffer {
    const text = body.toString('utf8');
    // Escapes (\u0041, \/) can spell the key in a way the scan of the raw text cannot see: parse then.
    if (!text.includes('\\') && !this.leaks(text)) return body;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      // Not JSON, yet a client may still undo its escapes (a lenient parser, or by hand): judge the text
      // with them undone too.
      return this.leaks(text) || this.leaks(unescaped(text)) ? Buffer.from(REDACTED) : body;
    }
    let changed = false;
    const scrub = (node: unknown): unknown => {
      if (typeof node === 'string') {
        if (!this.leaks(node)) return node;
        changed = true;
        return REDACTED;
      }
      if (Array.isArray(node)) return node.map(scrub);
      if (node && typeof node === 'object') {
        return Object.fromEntries(Object.entries(node).map(([key, inner]) => [scrub(key), scrub(inner)]));
      }
      return node;
    };
    const clean = scrub(value);
    return changed ? Buffer.from(JSON.stringify(clean)) : body;
  }

  private leaksPlainOrEncoded(text: string): boolean {
    for (const [run] of text.matchAll(ENCODED_RUN)) {
      if (this.holdsPart(run)) return true;
      if (this.holdsPart(decodedRuns(run))) return true;
    }
    return false;
  }

  private holdsPart(text: string): boolean {
    if (text.length < LEAK_PART_CHARS) return false;
    const lower = text.toLowerCase();
    for (let i = 0; i + LEAK_PART_CHARS <= lower.length; i++) {
      if (this.parts.has(lower.slice(i, i + LEAK_PART_CHARS))) return true;
    }
    return false;
  }
}

/**
 * What a run of encoding characters could stand for, side by side: its base64 (or base64url) decoding
 * from each of the four places a group can start, and its hex decoding when it is hex. The decoded
 * bytes are read as latin1 so every byte stays one character.
 */
function decodedRuns(run: string): string {
  const decodings: string[] = [];
  for (let offset = 0; offset < 4 && run.length - offset >= 16; offset++) {
    decodings.push(Buffer.from(run.slice(offset), 'base64').toString('latin1'));
  }
  if (HEX.test(run)) {
    decodings.push(Buffer.from(run, 'hex').toString('latin1'));
    decodings.push(Buffer.from(run.slice(1), 'hex').toString('latin1'));
  }
  return decodings.join('\n');
}

/** %XX sequences decoded one byte each; anything else left as it is (never throws, unlike decodeURIComponent). */
function percentDecoded(text: string): string {
  return text.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** JSON's string escapes undone (\uXXXX and the one-character ones), wherever they stand. */
function unescaped(text: string): string {
  return text.replace(
    /\\(?:u([0-9a-fA-F]{4})|(.))/g,
    (_, hex: string | undefined, char: string | undefined) =>
      hex !== undefined ? String.fromCharCode(parseInt(hex, 16)) : (ESCAPES[char!] ?? char!),
  );
}

const ESCAPES: Readonly<Record<string, string>> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f' };
