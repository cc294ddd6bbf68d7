// Detections and classifications in Custom Vision's ImagePrediction shape, with the cloud's tag ids when
// the project's tags are known, else ids derived from the labels that never change between runs,
// machines or runtimes.
import type { Classification, Detection } from './decode.ts';
import { sha1 } from './sha1.ts';
import { encodeUtf8 } from './utf8.ts';

// A fixed namespace of Sightline's own for name-based (version 5) UUIDs of exported models' tags.
const NAMESPACE = Uint8Array.from([
  0x2f, 0x6d, 0x41, 0x0a, 0x9c, 0x3e, 0x4b, 0x7d, 0x8e, 0x15, 0xa2, 0x64, 0xc9, 0x07, 0xd3, 0x58,
]);

/** A version 5 (SHA-1, name-based) UUID for `name`. */
export function nameUuid(name: string): string {
  const nameBytes = encodeUtf8(name);
  const input = new Uint8Array(NAMESPACE.length + nameBytes.length);
  input.set(NAMESPACE);
  input.set(nameBytes, NAMESPACE.length);
  const hash = sha1(input);
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = Array.from(hash.subarray(0, 16), (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export interface KnownTag {
  readonly id: string;
  readonly name: string;
}

/** Each label's tag id: the project's own (matched by name, as exports carry no ids), else derived. */
export function tagIdsFor(
  labels: readonly string[],
  projectId: string,
  knownTags: readonly KnownTag[] = [],
): string[] {
  const byName = new Map(knownTags.map((tag) => [tag.name, tag.id]));
  return labels.map((label) => byName.get(label) ?? nameUuid(`tag:${projectId}:${label}`));
}

export interface PredictionContext {
  readonly id: string;
  readonly projectId: string;
  readonly iterationId: string;
  readonly labels: readonly string[];
  readonly tagIds: readonly string[];
  readonly created: Date;
}

const clip = (value: number) => Math.min(1, Math.max(0, value));
/** Custom Vision's answers carry eight decimals at most. */
const round = (value: number) => Math.round(value * 1e8) / 1e8;
/** Custom Vision writes `created` to the second, e.g. 2019-03-10T06:10:28Z. */
const cloudTimestamp = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

export interface ExportPrediction {
  readonly probability: number;
  readonly tagId: string;
  readonly tagName: string;
  readonly boundingBox?: { left: number; top: number; width: number; height: number };
  readonly tagType: 'Regular';
}

export interface ExportImagePrediction {
  readonly id: string;
  readonly project: string;
  readonly iteration: string;
  readonly created: string;
  readonly predictions: ExportPrediction[];
}

export function toImagePrediction(
  results: readonly (Detection | Classification)[],
  context: PredictionContext,
): ExportImagePrediction {
  const predictions: ExportPrediction[] = [];
  for (const result of results) {
    const tag = {
      probability: round(result.probability),
      tagId: context.tagIds[result.classIndex]!,
      tagName: context.labels[result.classIndex]!,
    };
    if (!('box' in result)) {
      predictions.push({ ...tag, tagType: 'Regular' });
      continue;
    }
    // Boxes reaching past the picture are cut at its edges; one with nothing left inside is no box.
    const left = clip(result.box.x1);
    const top = clip(result.box.y1);
    const right = clip(result.box.x2);
    const bottom = clip(result.box.y2);
    if (!(right > left && bottom > top)) continue;
    predictions.push({
      ...tag,
      boundingBox: {
        left: round(left),
        top: round(top),
        width: round(right - left),
        height: round(bottom - top),
      },
      tagType: 'Regular',
    });
  }
  return {
    id: context.id,
    project: context.projectId,
    iteration: context.iterationId,
    created: cloudTimestamp(context.created),
    predictions,
  };
}
