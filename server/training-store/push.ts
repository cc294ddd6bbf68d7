// Pushes a project of the store to a Custom Vision project through the Training API, so that frames
// collected offline reach Azure later: tags are matched by name (and created when missing), images go
// with their whole-image tags and regions in batches of 64 (createImagesFromFiles), and each image that
// Custom Vision refuses in a 207 is reported with its status. A ledger beside the store records every
// image Custom Vision holds (OK, or OKDuplicate for bytes it had already), one line each, synced after
// each batch: a run that stops half-way is resumed by running it again, which skips what is there.
import fs from 'node:fs';
import path from 'node:path';
import type { TrainingStore } from './store.ts';

export interface PushTarget {
  /** Scheme and host of the training resource, e.g. https://name.cognitiveservices.azure.com */
  readonly endpoint: string;
  readonly key: string;
  readonly projectId: string;
}

export interface PushOptions {
  /** Images per call: Custom Vision's most is 64. */
  readonly batchSize?: number;
  /**
   * Image bytes per call (before base64), 24 MiB by default: a batch of large photos goes in more calls,
   * since request bodies are capped well below 64 images of 6 MB.
   */
  readonly batchBytes?: number;
  /** How many times one batch is sent again after 429 or 503 before the push stops. */
  readonly retries?: number;
  readonly log?: (line: string) => void;
}

export interface PushReport {
  readonly total: number;
  /** Already pushed by an earlier run (in the ledger). */
  readonly skipped: number;
  readonly pushed: number;
  /** Custom Vision had the same bytes already (OKDuplicate). */
  readonly duplicates: number;
  readonly tagsCreated: readonly string[];
  /** Images Custom Vision refused, with its status for each. */
  readonly failed: readonly { readonly imageId: string; readonly status: string }[];
  readonly ledger: string;
}

const EXTENSIONS: Readonly<Record<string, string>> = { jpeg: 'jpg', png: 'png', gif: 'gif', bmp: 'bmp' };
const DONE = new Set(['OK', 'OKDuplicate']);

/** A refusal from Custom Vision, with its status and its own words. */
export class PushError extends Error {
  override name = 'PushError';
}

class TrainingClient {
  constructor(private readonly target: PushTarget) {}

  private url(route: string, query?: Record<string, string>): string {
    const base = `${this.target.endpoint.replace(/\/+$/, '')}/customvision/v3.3/training/projects/${this.target.projectId}`;
    return `${base}${route}${query ? `?${new URLSearchParams(query).toString()}` : ''}`;
  }

  async call(
    method: string,
    route: string,
    options: {
      query?: Record<string, string>;
      body?: unknown;
      retries?: number;
      log?: (line: string) => void;
    } = {},
  ): Promise<{ status: number; body: unknown }> {
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(this.url(route, options.query), {
        method,
        headers: {
          'Training-Key': this.target.key,
          ...(options.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        },
        ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      });
      const text = await res.text();
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        // Not JSON: kept as text for the message.
      }
      if ((res.status === 429 || res.status === 503) && attempt < (options.retries ?? 5)) {
        const seconds = Number(res.headers.get('retry-after')) || 1;
        options.log?.(
          `Custom Vision answered ${res.status}; waiting ${seconds} s as it asks, then sending again.`,
        );
        await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
        continue;
      }
      if (res.status >= 400) {
        const detail =
          (body as { code?: string; message?: string; error?: { message?: string } } | undefined) ?? {};
        const message = detail.message ?? detail.error?.message ?? String(text).slice(0, 300);
        throw new PushError(
          `${method} ${route} answered ${res.status}${detail.code ? ` ${detail.code}` : ''}: ${message}`,
        );
      }
      return { status: res.status, body };
    }
  }
}

/** The ledger's file: one per target project and source project, beside the store. */
export function ledgerFile(storeDir: string, target: PushTarget, sourceProjectId: string): string {
  const host = new URL(target.endpoint).host.replace(/[^\w.-]/g, '_');
  return path.join(storeDir, 'pushes', `${host}-${target.projectId}-from-${sourceProjectId}.jsonl`);
}

function readLedger(file: string): Set<string> {
  const done = new Set<string>();
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  for (const line of text.split('\n')) {
    // A line cut short by a crash is not a record: its image is sent again and comes back OKDuplicate.
    try {
      const entry = JSON.parse(line) as { localId?: string };
      if (entry.localId) done.add(entry.localId);
    } catch {
      continue;
    }
  }
  return done;
}

function appendLedger(file: string, lines: readonly object[]): void {
  if (lines.length === 0) return;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const fd = fs.openSync(file, 'a');
  try {
    fs.writeSync(fd, lines.map((line) => `${JSON.stringify(line)}\n`).join(''));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export async function pushProject(
  store: TrainingStore,
  sourceProjectId: string,
  target: PushTarget,
  options: PushOptions = {},
): Promise<PushReport> {
  const log = options.log ?? (() => undefined);
  const batchSize = Math.min(options.batchSize ?? 64, 64);
  const client = new TrainingClient(target);
  const ledger = ledgerFile(store.dir, target, sourceProjectId);
  const done = readLedger(ledger);

  // Tags by name: the target's own, and those of the source that images use, created when missing.
  const remote = (await client.call('GET', '/tags')).body as { id: string; name: string }[];
  const byName = new Map(remote.map((tag) => [tag.name.toLowerCase(), tag.id]));
  const tagsCreated: string[] = [];
  const tagMap = new Map<string, string>();
  for (const tag of store.tags(sourceProjectId)) {
    if (tag.imageCount === 0) continue;
    let id = byName.get(tag.name.toLowerCase());
    if (!id) {
      const query: Record<string, string> = { name: tag.name, type: tag.type };
      if (tag.description) query['description'] = tag.description;
      id = ((await client.call('POST', '/tags', { query, log })).body as { id: string }).id;
      byName.set(tag.name.toLowerCase(), id);
      tagsCreated.push(tag.name);
      log(`Created tag "${tag.name}" in the Custom Vision project.`);
    }
    tagMap.set(tag.id, id);
  }

  const total = store.imageCount(sourceProjectId, {});
  let skipped = 0;
  let pushed = 0;
  let duplicates = 0;
  const failed: { imageId: string; status: string }[] = [];
  let batch: { localId: string; entry: object }[] = [];
  let batchBytes = 0;
  const maxBatchBytes = options.batchBytes ?? 24 * 1024 * 1024;

  const send = async () => {
    if (batch.length === 0) return;
    const answer = await client.call('POST', '/images/files', {
      body: { images: batch.map((item) => item.entry) },
      retries: options.retries ?? 5,
      log,
    });
    const summary = answer.body as {
      images?: { sourceUrl?: string; status: string; image?: { id: string } }[];
    };
    const records: object[] = [];
    (summary.images ?? []).forEach((result, index) => {
      // Custom Vision names each result by the name it was sent with: the local image's id.
      const localId =
        (result.sourceUrl ?? '').replace(/^"|"$/g, '').replace(/\.\w+$/, '') || batch[index]?.localId;
      if (!localId) return;
      if (DONE.has(result.status)) {
        if (result.status === 'OKDuplicate') duplicates++;
        else pushed++;
        records.push({ localId, remoteId: result.image?.id ?? null, status: result.status });
      } else {
        failed.push({ imageId: localId, status: result.status });
        log(`Image ${localId}: Custom Vision refused it (${result.status}).`);
      }
    });
    appendLedger(ledger, records);
    batch = [];
    batchBytes = 0;
    log(
      `Pushed ${pushed + duplicates + skipped + failed.length}/${total} ` +
        `(${pushed} new, ${duplicates} already there, ${skipped} skipped, ${failed.length} refused)`,
    );
  };

  for (const image of store.allImages(sourceProjectId)) {
    if (done.has(image.id)) {
      skipped++;
      continue;
    }
    const mapTag = (tagId: string) => tagMap.get(tagId)!;
    const bytes = fs.readFileSync(image.file);
    if (batch.length > 0 && batchBytes + bytes.length > maxBatchBytes) await send();
    batchBytes += bytes.length;
    batch.push({
      localId: image.id,
      entry: {
        name: `${image.id}.${EXTENSIONS[image.format] ?? 'jpg'}`,
        contents: bytes.toString('base64'),
        tagIds: image.tags.map((tag) => mapTag(tag.tagId)),
        regions: image.regions.map((region) => ({
          tagId: mapTag(region.tagId),
          left: region.left,
          top: region.top,
          width: region.width,
          height: region.height,
        })),
      },
    });
    if (batch.length >= batchSize) await send();
  }
  await send();
  if (skipped) log(`${skipped} images were pushed by an earlier run (ledger ${ledger}) and were skipped.`);
  return { total, skipped, pushed, duplicates, tagsCreated, failed, ledger };
}
