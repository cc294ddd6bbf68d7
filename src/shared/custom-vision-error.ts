// The error body Custom Vision sends, `{code, message}` (e.g. {"code": "BadRequestImageFormat", ...}),
// which the Sightline server also uses for its own refusals so that a client reads one shape. Gateways in
// front of Azure wrap it as `{error: {code, message}}`, or send `error` as a bare string, or APIM's
// `{statusCode, message}`; the reader takes all of them.
import { isObject, type JsonObject } from './json.ts';

export interface CustomVisionError {
  readonly code: string;
  readonly message: string;
}

function codeOf(value: unknown): string | undefined {
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  return typeof value === 'number' && Number.isFinite(value) ? String(value) : undefined;
}

function messageOf(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/** Finds code and message in parsed JSON of any of the shapes above; either may be missing. */
export function readCustomVisionError(json: unknown): Partial<CustomVisionError> {
  if (typeof json === 'string') return { message: messageOf(json) };
  if (!isObject(json)) return {};
  const error = json['error'];
  const inner: JsonObject = isObject(error) ? error : {};
  return {
    code: codeOf(inner['code']) ?? codeOf(json['code']),
    message: messageOf(inner['message']) ?? messageOf(json['message']) ?? messageOf(error),
  };
}
