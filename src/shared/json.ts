// The one test for "a JSON object": every reader of JSON from another process (the server's config and
// health answers, prediction answers, Custom Vision's error bodies) starts from it before trusting a field.

/** A parsed JSON object whose fields are not yet checked. */
export type JsonObject = Readonly<Record<string, unknown>>;

/** True for a plain object, not null and not an array (both of which `typeof` also calls 'object'). */
export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
