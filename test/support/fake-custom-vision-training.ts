// A stand-in for Azure Custom Vision's training service: a real HTTP server on loopback that speaks the
// documented contract for one project (paths under /customvision/{v3.3|v3.4-preview}/training, the
// Training-Key header, multipart or raw uploads, JSON batches, 200/207 summaries, 204 deletions, the
// gateway's 401 and 429 envelopes), keeps what it is sent in memory so that later calls see it, records
// every request, and can be told to misbehave.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import busboy from 'busboy';
import { GATEWAY_UNAUTHORIZED, send } from './fake-custom-vision.ts';

export interface TrainingRecord {
  readonly method: string;
  /** The path without its query. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
  /** Date.now() when the request began to arrive. */
  readonly at: number;
}

export interface TrainingBehaviour {
  /** Answer with this instead of the normal answer. */
  answer?: { status: number; body: string; headers?: Record<string, string> };
  hang?: boolean;
}

/** One uploaded image as the fake keeps it. */
interface StoredImage {
  id: string;
  created: string;
  width: number;
  height: number;
  tags: { tagId: string; tagName: string; created: string }[];
  regions: {
    regionId: string;
    tagId: string;
    tagName: string;
    created: string;
    left: number;
    top: number;
    width: number;
    height: number;
  }[];
  /** The bytes it came with, or the stored prediction it was promoted from. */
  bytes: number;
  sourceUrl: string;
}

export interface FakeTraining {
  readonly url: string;
  readonly key: string;
  readonly projectId: string;
  readonly domainId: string;
  readonly requests: TrainingRecord[];
  behaviour: TrainingBehaviour;
  /** Behaviours for the next requests, one each (taken first), before `behaviour` applies again. */
  queue: TrainingBehaviour[];
  /** Uploaded images whose file name is listed here fail with this status (a 207 partial result). */
  failNames: Map<string, string>;
  /**
   * Statuses for the next images of images/files, one each in arrival order ('OK' lets one through), for
   * when the test cannot know an image's name beforehand (the app names uploads by its own client ids).
   */
  nextImageStatuses: string[];
  /** A new iteration says 'Training' to this many reads of it, then 'Completed' (never, by default). */
  readsUntilTrained: number;
  /** Ids of stored predictions that images/predictions can promote (as the prediction service kept them). */
  readonly storedPredictions: string[];
  readonly images: StoredImage[];
  /** Where publishing last went: the iteration, its name and the prediction resource. */
  published?: { iterationId: string; publishName: string; predictionId: string };
  /**
   * The zip an iteration's export downloads as (from /downloads/, like Azure's blob storage: no training
   * key there); until set, exports stay 'Exporting'.
   */
  exportArchive?: Buffer;
  /** How many polls of an export answer 'Exporting' before it is 'Done' (when exportArchive is set). */
  exportPollsUntilDone: number;
  close(): Promise<void>;
}

const now = () => new Date().toISOString();

/** Custom Vision's answer to a deletion: 204, no body. */
const noContent = (res: ServerResponse) => {
  res.writeHead(204);
  res.end();
};

const cvError = (res: ServerResponse, status: number, code: string, message: string) =>
  send(res, status, { code, message });

/** The files of a multipart body, with their file names. */
function multipartFiles(req: IncomingMessage, body: Buffer): Promise<{ name: string; bytes: Buffer }[]> {
  return new Promise((resolve, reject) => {
    const files: { name: string; bytes: Buffer }[] = [];
    const parser = busboy({ headers: req.headers, limits: { fileSize: 64 * 1024 * 1024 } });
    parser.on('file', (_field, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => files.push({ name: info.filename ?? 'image', bytes: Buffer.concat(chunks) }));
    });
    parser.on('close', () => resolve(files));
    parser.on('error', reject);
    parser.end(body);
  });
}

export async function startFakeTraining(
  options: {
    key?: string;
    projectId?: string;
    /** A classification project of this type instead of the default object detection one. */
    classification?: 'Multiclass' | 'Multilabel';
  } = {},
): Promise<FakeTraining> {
  const key = options.key ?? 't'.repeat(32);
  const projectId = options.projectId ?? '0f0f0f0f-1111-4222-8333-444455556666';
  // Custom Vision's "General" object detection domain, or its "General" classification domain.
  const domainId = options.classification
    ? 'ee85a74c-405e-4adc-bb47-ffa8ca0c9f31'
    : 'da2e3a8a-40a5-4171-82f4-58522f70fbc1';
  const domainType = options.classification ? 'Classification' : 'ObjectDetection';
  const classificationType = options.classification ?? 'Multiclass';
  const sockets = new Set<Socket>();
  const tags: { id: string; name: string; description: string; type: string }[] = [];
  const images: StoredImage[] = [];
  const iterations: Record<string, unknown>[] = [];
  const exports = new Map<string, Record<string, unknown>[]>();

  const fake: FakeTraining = {
    url: '',
    key,
    projectId,
    domainId,
    requests: [],
    behaviour: {},
    queue: [],
    failNames: new Map(),
    nextImageStatuses: [],
    readsUntilTrained: Number.POSITIVE_INFINITY,
    exportPollsUntilDone: 1,
    storedPredictions: [randomUUID(), randomUUID()],
    images,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };

  const tagName = (id: string) => tags.find((tag) => tag.id === id)?.name ?? 'unknown';
  const withTags = (image: StoredImage, tagIds: readonly string[]) => {
    for (const tagId of tagIds) image.tags.push({ tagId, tagName: tagName(tagId), created: now() });
  };
  type RegionIn = { tagId: string; left: number; top: number; width: number; height: number };
  const withRegions = (image: StoredImage, regions: readonly RegionIn[] = []) => {
    for (const r of regions) {
      image.regions.push({
        regionId: randomUUID(),
        tagId: r.tagId,
        tagName: tagName(r.tagId),
        created: now(),
        left: r.left,
        top: r.top,
        width: r.width,
        height: r.height,
      });
    }
  };
  const newImage = (sourceUrl: string, bytes: number): StoredImage => ({
    id: randomUUID(),
    created: now(),
    width: 640,
    height: 480,
    tags: [],
    regions: [],
    bytes,
    sourceUrl,
  });
  /** A 200, or a 207 when some image failed: Custom Vision's ImageCreateSummary. */
  const summary = (
    res: ServerResponse,
    results: { sourceUrl: string; status: string; image?: StoredImage }[],
  ) => {
    const ok = results.every((r) => r.status === 'OK');
    send(res, ok ? 200 : 207, {
      isBatchSuccessful: ok,
      images: results.map(({ sourceUrl, status, image }) => ({
        sourceUrl,
        status,
        ...(image ? { image: imageView(image) } : {}),
      })),
    });
  };
  const imageView = ({ bytes: _bytes, sourceUrl: _source, ...image }: StoredImage) => ({
    ...image,
    originalImageUri: `https://fake.invalid/i/${image.id}`,
    thumbnailUri: `https://fake.invalid/t/${image.id}`,
    ...(image.tags.length ? {} : { tags: undefined }),
    ...(image.regions.length ? {} : { regions: undefined }),
  });
  const idList = (query: URLSearchParams, name: string) => (query.get(name) ?? '').split(',').filter(Boolean);
  const paged = (list: StoredImage[], query: URLSearchParams) =>
    list
      .slice(Number(query.get('skip') ?? 0), Number(query.get('skip') ?? 0) + Number(query.get('take') ?? 50))
      .map(imageView);
  const tagged = () => images.filter((i) => i.tags.length || i.regions.length);
  const untagged = () => images.filter((i) => !i.tags.length && !i.regions.length);

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const at = Date.now();
    const chunks: Buffer[] = [];
    for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? '';
    fake.requests.push({
      method,
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body,
      at,
    });

    // Export downloads come from blob storage, which takes a signed URL and no training key.
    if (method === 'GET' && url.pathname.startsWith('/downloads/')) {
      if (fake.exportArchive) {
        res.writeHead(200, { 'Content-Type': 'application/zip' });
        res.end(fake.exportArchive);
      } else
        send(res, 404, { error: { code: 'BlobNotFound', message: 'The specified blob does not exist.' } });
      return;
    }
    const behaviour = fake.queue.shift() ?? fake.behaviour;
    if (behaviour.hang) return;
    if (behaviour.answer) {
      send(res, behaviour.answer.status, behaviour.answer.body, behaviour.answer.headers);
      return;
    }
    if (req.headers['training-key'] !== key) {
      send(res, 401, GATEWAY_UNAUTHORIZED);
      return;
    }
    const base = /^\/customvision\/(?:v3\.3|v3\.4-preview)\/training(\/.*)$/i.exec(url.pathname);
    if (!base) {
      send(res, 404, { error: { code: '404', message: 'Resource not found' } });
      return;
    }
    const rest = base[1]!;
    const query = url.searchParams;
    const json = () => JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>;
    const route = `${method} ${rest.replace(projectId, '{p}').replace(/\/[0-9a-f-]{36}(?=\/|$)/g, '/{id}')}`;
    const lastId = /([0-9a-f-]{36})(?:\/[a-z]+)?$/.exec(rest)?.[1];

    if (rest.startsWith('/projects/') && !rest.startsWith(`/projects/${projectId}`)) {
      cvError(res, 404, 'NotFoundProject', 'Invalid project');
      return;
    }
    switch (route) {
      case 'GET /domains/{id}':
        send(res, 200, {
          id: lastId,
          name: 'General',
          type: domainType,
          exportable: false,
          enabled: true,
          exportablePlatforms: [],
        });
        return;
      case 'GET /projects/{p}':
        send(res, 200, {
          id: projectId,
          name: 'Field project',
          description: '',
          settings: { domainId, classificationType, targetExportPlatforms: [] },
          created: '2026-01-01T00:00:00Z',
          lastModified: '2026-01-01T00:00:00Z',
          status: 'Succeeded',
        });
        return;
      case 'GET /projects/{p}/tags':
        send(
          res,
          200,
          tags.map((tag) => ({
            ...tag,
            imageCount: images.filter(
              (i) => i.tags.some((t) => t.tagId === tag.id) || i.regions.some((r) => r.tagId === tag.id),
            ).length,
          })),
        );
        return;
      case 'POST /projects/{p}/tags': {
        const name = query.get('name') ?? '';
        if (tags.some((tag) => tag.name === name)) {
          cvError(res, 400, 'BadRequestTagNameNotUnique', 'Tag name is not unique');
          return;
        }
        const tag = {
          id: randomUUID(),
          name,
          description: query.get('description') ?? '',
          type: query.get('type') ?? 'Regular',
        };
        tags.push(tag);
        send(res, 200, { ...tag, imageCount: 0 });
        return;
      }
      case 'POST /projects/{p}/images': {
        const files = /^multipart\//i.test(req.headers['content-type'] ?? '')
          ? await multipartFiles(req, body)
          : [{ name: 'image', bytes: body }];
        const tagIds = idList(query, 'tagIds');
        summary(
          res,
          files.map(({ name, bytes }) => {
            const failed = fake.failNames.get(name);
            if (failed) return { sourceUrl: `"${name}"`, status: failed };
            const image = newImage(`"${name}"`, bytes.length);
            withTags(image, tagIds);
            images.push(image);
            return { sourceUrl: `"${name}"`, status: 'OK', image };
          }),
        );
        return;
      }
      case 'POST /projects/{p}/images/files': {
        const batch = json() as {
          images: { name?: string; contents: string; tagIds?: string[]; regions?: RegionIn[] }[];
          tagIds?: string[];
        };
        summary(
          res,
          batch.images.map((file) => {
            const name = file.name ?? 'file';
            const next = fake.nextImageStatuses.shift();
            const failed = fake.failNames.get(name) ?? (next === 'OK' ? undefined : next);
            if (failed) return { sourceUrl: `"${name}"`, status: failed };
            const image = newImage(`"${name}"`, Buffer.from(file.contents, 'base64').length);
            withTags(image, [...(batch.tagIds ?? []), ...(file.tagIds ?? [])]);
            withRegions(image, file.regions);
            images.push(image);
            return { sourceUrl: `"${name}"`, status: 'OK', image };
          }),
        );
        return;
      }
      case 'POST /projects/{p}/images/predictions': {
        const batch = json() as {
          images: { id: string; tagIds?: string[]; regions?: RegionIn[] }[];
          tagIds?: string[];
        };
        summary(
          res,
          batch.images.map((entry) => {
            if (!fake.storedPredictions.includes(entry.id))
              return { sourceUrl: entry.id, status: 'ErrorSource' };
            const image = newImage(entry.id, 0);
            image.id = entry.id;
            withTags(image, [...(batch.tagIds ?? []), ...(entry.tagIds ?? [])]);
            withRegions(image, entry.regions);
            images.push(image);
            return { sourceUrl: entry.id, status: 'OK', image };
          }),
        );
        return;
      }
      case 'POST /projects/{p}/images/regions': {
        const batch = json() as { regions: (RegionIn & { imageId: string })[] };
        const created = batch.regions.flatMap((region) => {
          const image = images.find((i) => i.id === region.imageId);
          if (!image) return [];
          withRegions(image, [region]);
          return [{ imageId: image.id, ...image.regions.at(-1)! }];
        });
        send(res, created.length === batch.regions.length ? 200 : 207, {
          created,
          duplicated: [],
          exceeded: [],
        });
        return;
      }
      case 'DELETE /projects/{p}/images/regions': {
        const ids = idList(query, 'regionIds');
        for (const image of images) image.regions = image.regions.filter((r) => !ids.includes(r.regionId));
        noContent(res);
        return;
      }
      case 'POST /projects/{p}/images/tags': {
        const batch = json() as { tags: { imageId: string; tagId: string }[] };
        const created = batch.tags.flatMap(({ imageId, tagId }) => {
          const image = images.find((i) => i.id === imageId);
          if (!image) return [];
          withTags(image, [tagId]);
          return [{ imageId, tagId }];
        });
        send(res, 200, { created, duplicated: [], exceeded: [] });
        return;
      }
      case 'DELETE /projects/{p}/images/tags': {
        const imageIds = idList(query, 'imageIds');
        const tagIds = idList(query, 'tagIds');
        for (const image of images.filter((i) => imageIds.includes(i.id))) {
          image.tags = image.tags.filter((t) => !tagIds.includes(t.tagId));
        }
        noContent(res);
        return;
      }
      case 'GET /projects/{p}/images':
        send(res, 200, paged(images, query));
        return;
      case 'GET /projects/{p}/images/count':
        send(res, 200, images.length);
        return;
      case 'GET /projects/{p}/images/tagged':
        send(res, 200, paged(tagged(), query));
        return;
      case 'GET /projects/{p}/images/tagged/count':
        send(res, 200, tagged().length);
        return;
      case 'GET /projects/{p}/images/untagged':
        send(res, 200, paged(untagged(), query));
        return;
      case 'GET /projects/{p}/images/untagged/count':
        send(res, 200, untagged().length);
        return;
      case 'GET /projects/{p}/images/id': {
        const ids = idList(query, 'imageIds');
        send(res, 200, images.filter((i) => ids.includes(i.id)).map(imageView));
        return;
      }
      case 'DELETE /projects/{p}/images': {
        const ids = idList(query, 'imageIds');
        const keep = images.filter((i) => !ids.includes(i.id));
        images.splice(0, images.length, ...keep);
        noContent(res);
        return;
      }
      case 'POST /projects/{p}/predictions/query':
        send(res, 200, {
          token: { session: '1:2', continuation: '', maxCount: 0, orderBy: 'Newest' },
          results: fake.storedPredictions.map((id) => ({
            id,
            project: projectId,
            iteration: randomUUID(),
            created: now(),
            predictions: [],
            originalImageUri: `https://fake.invalid/p/${id}`,
          })),
        });
        return;
      case 'GET /projects/{p}/iterations':
        send(res, 200, iterations);
        return;
      case 'GET /projects/{p}/iterations/{id}': {
        const iteration = iterations.find((i) => i['id'] === lastId);
        if (iteration && iteration['status'] === 'Training') {
          const left = Number(iteration['readsLeft'] ?? fake.readsUntilTrained) - 1;
          iteration['readsLeft'] = left;
          if (left <= 0) Object.assign(iteration, { status: 'Completed', trainedAt: now() });
        }
        if (iteration) send(res, 200, iteration);
        else cvError(res, 404, 'NotFoundIteration', 'Invalid iteration');
        return;
      }
      case 'POST /projects/{p}/train': {
        const iteration = {
          id: randomUUID(),
          name: `Iteration ${iterations.length + 1}`,
          status: 'Training',
          created: now(),
          lastModified: now(),
          projectId,
          exportable: false,
          domainId,
          trainingType: query.get('trainingType') ?? 'Regular',
          publishName: '',
        };
        iterations.push(iteration);
        send(res, 200, iteration);
        return;
      }
      case 'GET /projects/{p}/iterations/{id}/performance':
        send(res, 200, { perTagPerformance: [], precision: 0.9, recall: 0.8, averagePrecision: 0.85 });
        return;
      case 'POST /projects/{p}/iterations/{id}/publish': {
        const predictionId = query.get('predictionId') ?? '';
        fake.published = { iterationId: lastId!, publishName: query.get('publishName') ?? '', predictionId };
        // A published name points at one iteration: publishing another under it moves the name.
        for (const other of iterations) {
          if (other['publishName'] === fake.published.publishName) other['publishName'] = '';
        }
        const iteration = iterations.find((i) => i['id'] === lastId);
        if (iteration) iteration['publishName'] = fake.published.publishName;
        send(res, 200, true);
        return;
      }
      case 'DELETE /projects/{p}/iterations/{id}/publish': {
        const iteration = iterations.find((i) => i['id'] === lastId);
        if (iteration) iteration['publishName'] = '';
        fake.published = undefined;
        noContent(res);
        return;
      }
      case 'POST /projects/{p}/iterations/{id}/export': {
        const entry = {
          platform: query.get('platform'),
          status: 'Exporting',
          flavor: query.get('flavor') ?? undefined,
          newerVersionAvailable: false,
        };
        exports.set(lastId!, [...(exports.get(lastId!) ?? []), entry]);
        send(res, 200, entry);
        return;
      }
      case 'GET /projects/{p}/iterations/{id}/export': {
        const list = exports.get(lastId!) ?? [];
        for (const entry of list) {
          const polls = ((entry['polls'] as number | undefined) ?? 0) + 1;
          entry['polls'] = polls;
          if (fake.exportArchive && polls > fake.exportPollsUntilDone) {
            entry['status'] = 'Done';
            entry['downloadUri'] =
              `${fake.url}/downloads/${lastId}-${String(entry['platform'])}.zip?sig=fake`;
          }
        }
        send(
          res,
          200,
          list.map(({ polls: _polls, ...entry }) => entry),
        );
        return;
      }
      case 'POST /projects/{p}/quicktest/image':
        send(res, 200, {
          id: randomUUID(),
          project: projectId,
          iteration: query.get('iterationId') ?? randomUUID(),
          created: now(),
          predictions: [
            {
              probability: 0.9,
              tagId: tags[0]?.id,
              tagName: tags[0]?.name,
              boundingBox: { left: 0.1, top: 0.1, width: 0.5, height: 0.5 },
            },
          ],
        });
        return;
      default:
        send(res, 404, { error: { code: '404', message: 'Resource not found' } });
    }
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(fake, { url: `http://127.0.0.1:${port}` });
}
