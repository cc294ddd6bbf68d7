// Every secret the process holds (the Custom Vision key, device tokens, the Redis password) is registered
// here, and every log line is scrubbed of them before it is written. Callers already keep secrets out of
// what they log; this is the net under them, for an error message that quotes more than it should.
const secrets = new Set<string>();

/** Registers values that must never be written anywhere; short values are ignored (they would mangle text). */
export function registerSecrets(...values: readonly (string | undefined)[]): void {
  for (const value of values) if (value && value.length >= 8) secrets.add(value);
}

export function scrubSecrets(text: string): string {
  let clean = text;
  for (const secret of secrets) {
    if (clean.includes(secret)) clean = clean.split(secret).join('[redacted]');
  }
  return clean;
}
