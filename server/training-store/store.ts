// The local training store: Custom Vision's training model (projects, tags, images with whole-image tags
// and regions) kept in SQLite, with the image files on disk beside it. Each method answers in Custom
// Vision's shapes and refuses in its error codes. Uploads write their files first, then commit every row
// in one synchronous transaction that re-checks duplicates and limits, so concurrent uploads cannot
// interleave and a failure (a full disk, the byte quota) leaves nothing half-written.
import { createHash, randomUUID } from 'node:crypto';
import path from 'node:path';
import { CvError, CvErrorCode } from '../http/cv-error.ts';
import { assertDecodable, probeImage, type ImageProbe } from '../detector/image-probe.ts';
import { BlobFiles } from './blobs.ts';
import { MAX_STORED_PREDICTIONS, type TrainingStoreConfig } from './config.ts';
import { isStorageFailure, StoreDatabase, type Row } from './database.ts';
import { DEFAULT_DOMAIN_ID, findDomain } from './domains.ts';
import { FeatureRecords } from './features.ts';
import { IterationRecords } from './iterations.ts';
import { cloudTimestamp, imageJson, projectJson, regionJson, tagJson, type ImageJson } from './shapes.ts';

export interface NewRegion {
  readonly tagId: string;
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

export interface NewImage {
  readonly bytes: Buffer;
  /** What the per-image report names it by (Custom Vision's sourceUrl). */
  readonly sourceUrl: string;
  readonly name?: string;
  readonly tagIds: readonly string[];
  readonly regions: readonly NewRegion[];
  readonly metadata?: Readonly<Record<string, string>>;
}

export type ImageStatus =
  | 'OK'
  | 'OKDuplicate'
  | 'ErrorSource'
  | 'ErrorImageFormat'
  | 'ErrorImageDimensions'
  | 'ErrorLimitExceed'
  | 'ErrorTagLimitExceed'
  | 'ErrorRegionLimitExceed'
  | 'ErrorInvalidTag'
  | 'ErrorNegativeAndRegularTagOnSameImage';

/** A prediction the local detector made, to keep (see recordPrediction). */
export interface StoredPredictionInput {
  readonly id: string;
  readonly iterationId: string;
  readonly bytes: Buffer;
  /** The ImagePrediction's predictions, as answered. */
  readonly results: unknown;
  readonly created: string;
}

export interface StoredPrediction {
  readonly id: string;
  readonly iterationId: string;
  readonly sha256: string;
  readonly results: unknown;
  readonly created: string;
}

export interface ImageCreateResult {
  readonly sourceUrl: string;
  readonly status: ImageStatus;
  readonly image?: ImageJson;
}

export interface ImageCreateSummary {
  readonly isBatchSuccessful: boolean;
  readonly images: ImageCreateResult[];
}

/** The project the server's own detector answers for, created with its labels as tags. */
export interface SeedProject {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly domainId: string;
  readonly tags: readonly { readonly id: string; readonly name: string }[];
}

export interface ImageQuery {
  readonly tagging?: 'All' | 'Tagged' | 'Untagged';
  readonly tagIds?: readonly string[];
  readonly orderBy?: 'Newest' | 'Oldest';
  readonly take?: number;
  readonly skip?: number;
}

export const TAG_TYPES = ['Regular', 'Negative', 'GeneralProduct'] as const;
const MAX_REGIONS_PER_IMAGE = 300;
const MAX_TAGS_PER_IMAGE = 100;

const notFound = (code: CvErrorCode, message: string) => new CvError(404, code, message);
const bad = (code: CvErrorCode, message: string) => new CvError(400, code, message);

/** A full disk or a failed write: nothing of the request was kept. */
export const storageFailed = (dir: string) =>
  new CvError(
    507,
    CvErrorCode.ErrorUnknown,
    `The training store's disk is full or failing (${dir}): nothing of this request was stored. ` +
      'Free some space there (or delete images) and send it again.',
  );

const TAGGED = `(EXISTS (SELECT 1 FROM image_tags it WHERE it.image_id = i.id)
  OR EXISTS (SELECT 1 FROM regions r WHERE r.image_id = i.id))`;

export class TrainingStore {
  private readonly db: StoreDatabase;
  private readonly files: BlobFiles;
  readonly dir: string;
  /** Trained iterations (writable stores only). */
  readonly iterations: IterationRecords | undefined;
  /** Images' feature vectors for training. */
  readonly features: FeatureRecords;

  /**
   * Opens the store in config.dataDir, owning it (see database.ts), with the seed project created when
   * missing. `readOnly` (the dataset CLI) owns nothing, changes nothing, and may run beside the server.
   */
  constructor(
    private readonly config: TrainingStoreConfig,
    options: { seed?: SeedProject; readOnly?: boolean } = {},
  ) {
    this.dir = path.join(config.dataDir, 'training');
    this.db = new StoreDatabase(this.dir, { readOnly: options.readOnly ?? false });
    try {
      this.files = new BlobFiles(this.dir, { readOnly: options.readOnly ?? false });
      if (!options.readOnly) {
        this.files.sweep(
          (sha256) => this.db.get('SELECT 1 AS k FROM blobs WHERE sha256 = ?', [sha256]) !== undefined,
        );
      }
      if (options.seed && !options.readOnly) this.seed(options.seed);
      this.features = new FeatureRecords(this.db);
      this.iterations = options.readOnly ? undefined : new IterationRecords(this.db);
    } catch (error) {
      this.db.close();
      throw error;
    }
  }

  close(): void {
    this.db.close();
  }

  private seed(project: SeedProject): void {
    if (this.db.get('SELECT 1 AS k FROM projects WHERE id = ?', [project.id])) return;
    const now = cloudTimestamp();
    this.db.transaction(() => {
      this.db.run(
        `INSERT INTO projects (id, name, description, domain_id, classification_type, created, last_modified)
         VALUES (?, ?, ?, ?, NULL, ?, ?)`,
        [project.id, project.name, project.description, project.domainId, now, now],
      );
      for (const tag of project.tags) {
        this.db.run(`INSERT INTO tags (id, project_id, name, type, created) VALUES (?, ?, ?, 'Regular', ?)`, [
          tag.id,
          project.id,
          tag.name,
          now,
        ]);
      }
    });
  }

  // --- projects -------------------------------------------------------------------------------------

  projects() {
    return this.db.all('SELECT * FROM projects ORDER BY created, rowid').map(projectJson);
  }

  private projectRow(id: string): Row {
    const row = this.db.get('SELECT * FROM projects WHERE id = ?', [id.toLowerCase()]);
    if (!row)
      throw notFound(CvErrorCode.NotFoundProject, `There is no project ${id} in the local training store.`);
    return row;
  }

  project(id: string) {
    return projectJson(this.projectRow(id));
  }

  hasProject(id: string): boolean {
    return this.db.get('SELECT 1 AS k FROM projects WHERE id = ?', [id.toLowerCase()]) !== undefined;
  }

  createProject(options: {
    name: string | undefined;
    description?: string;
    domainId?: string;
    classificationType?: string;
    targetExportPlatforms?: string;
  }) {
    const name = options.name?.trim() ?? '';
    if (name === '' || name.length > 256) {
      throw bad(
        CvErrorCode.BadRequestProjectName,
        'A project needs a name of 1 to 256 characters (the name query parameter).',
      );
    }
    const domain = findDomain(options.domainId ?? DEFAULT_DOMAIN_ID);
    if (!domain) {
      throw bad(
        CvErrorCode.BadRequestProjectUnknownDomain,
        `Unknown domainId ${options.domainId}: GET /customvision/v3.3/training/domains lists them in Custom Vision.`,
      );
    }
    let classificationType: string | null = null;
    if (domain.type === 'Classification') {
      classificationType = options.classificationType ?? 'Multiclass';
      if (classificationType !== 'Multiclass' && classificationType !== 'Multilabel') {
        throw bad(
          CvErrorCode.BadRequestProjectUnknownClassification,
          'classificationType must be Multiclass or Multilabel.',
        );
      }
    }
    const platforms = (options.targetExportPlatforms ?? '').split(',').filter((p) => p.trim() !== '');
    const id = randomUUID();
    const now = cloudTimestamp();
    this.db.transaction(() => {
      const count = Number(this.db.get('SELECT COUNT(*) AS n FROM projects')?.['n']);
      if (count >= this.config.limits.projects) {
        throw bad(
          CvErrorCode.BadRequestExceedProjectLimit,
          `The ${this.config.tier} tier allows ${this.config.limits.projects} projects, and the local store has ${count}. Delete one first.`,
        );
      }
      if (this.db.get('SELECT 1 AS k FROM projects WHERE name = ? COLLATE NOCASE', [name])) {
        throw bad(CvErrorCode.BadRequestProjectNameNotUnique, `A project named "${name}" exists already.`);
      }
      this.db.run(
        `INSERT INTO projects (id, name, description, domain_id, classification_type, target_export_platforms, created, last_modified)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          id,
          name,
          options.description ?? '',
          domain.id,
          classificationType,
          JSON.stringify(platforms),
          now,
          now,
        ],
      );
    });
    return this.project(id);
  }

  async deleteProject(id: string): Promise<void> {
    this.projectRow(id);
    const orphans = this.db.transaction(() => {
      const shas = this.db
        .all(
          'SELECT sha256 FROM images WHERE project_id = ? UNION SELECT sha256 FROM predictions WHERE project_id = ?',
          [id, id],
        )
        .map((r) => String(r['sha256']));
      this.db.run('DELETE FROM projects WHERE id = ?', [id]);
      return this.dropUnusedBlobs(shas);
    });
    await this.files.remove(orphans);
  }

  // --- tags -----------------------------------------------------------------------------------------

  private static readonly TAG_SELECT = `SELECT t.*, (SELECT COUNT(*) FROM (
      SELECT image_id FROM image_tags WHERE tag_id = t.id UNION SELECT image_id FROM regions WHERE tag_id = t.id
    )) AS image_count FROM tags t`;

  tags(projectId: string) {
    this.projectRow(projectId);
    return this.db
      .all(`${TrainingStore.TAG_SELECT} WHERE t.project_id = ? ORDER BY t.created, t.rowid`, [projectId])
      .map(tagJson);
  }

  createTag(projectId: string, options: { name: string | undefined; description?: string; type?: string }) {
    this.projectRow(projectId);
    const name = options.name?.trim() ?? '';
    if (name === '' || name.length > 256) {
      throw bad(
        CvErrorCode.BadRequestTagName,
        'A tag needs a name of 1 to 256 characters (the name query parameter).',
      );
    }
    const type = options.type ?? 'Regular';
    if (!(TAG_TYPES as readonly string[]).includes(type)) {
      throw bad(
        CvErrorCode.BadRequestTagType,
        `A tag's type is one of ${TAG_TYPES.join(', ')}; "${type}" is not.`,
      );
    }
    const id = randomUUID();
    this.db.transaction(() => {
      if (
        this.db.get('SELECT 1 AS k FROM tags WHERE project_id = ? AND name = ? COLLATE NOCASE', [
          projectId,
          name,
        ])
      ) {
        throw bad(CvErrorCode.BadRequestTagNameNotUnique, `The project has a tag named "${name}" already.`);
      }
      const count = Number(
        this.db.get('SELECT COUNT(*) AS n FROM tags WHERE project_id = ?', [projectId])?.['n'],
      );
      if (count >= this.config.limits.tagsPerProject) {
        throw bad(
          CvErrorCode.BadRequestExceedTagPerProjectLimit,
          `The ${this.config.tier} tier allows ${this.config.limits.tagsPerProject} tags a project; this one has ${count}.`,
        );
      }
      if (
        type !== 'Regular' &&
        this.db.get('SELECT 1 AS k FROM tags WHERE project_id = ? AND type = ?', [projectId, type])
      ) {
        throw bad(
          CvErrorCode.BadRequestMultipleNegativeTag,
          `A project has at most one ${type} tag; this one has it already.`,
        );
      }
      this.db.run(
        'INSERT INTO tags (id, project_id, name, description, type, created) VALUES (?, ?, ?, ?, ?, ?)',
        [id, projectId, name, options.description ?? '', type, cloudTimestamp()],
      );
    });
    return tagJson(this.db.get(`${TrainingStore.TAG_SELECT} WHERE t.id = ?`, [id])!);
  }

  private tagTypes(projectId: string): Map<string, string> {
    return new Map(
      this.db
        .all('SELECT id, type FROM tags WHERE project_id = ?', [projectId])
        .map((row) => [String(row['id']), String(row['type'])]),
    );
  }

  // --- images ---------------------------------------------------------------------------------------

  /** The Image JSON of each row, with its tags and regions. */
  private imagesJson(rows: readonly Row[]): ImageJson[] {
    return rows.map((row) =>
      imageJson(
        row,
        this.db.all(
          `SELECT it.tag_id, it.created, t.name AS tag_name FROM image_tags it JOIN tags t ON t.id = it.tag_id
           WHERE it.image_id = ? ORDER BY it.rowid`,
          [String(row['id'])],
        ),
        this.db.all(
          `SELECT r.*, t.name AS tag_name FROM regions r JOIN tags t ON t.id = r.tag_id WHERE r.image_id = ? ORDER BY r.rowid`,
          [String(row['id'])],
        ),
      ),
    );
  }

  private static readonly IMAGE_SELECT =
    'SELECT i.*, b.width, b.height, b.format FROM images i JOIN blobs b ON b.sha256 = i.sha256';

  private imageRow(projectId: string, imageId: string): Row | undefined {
    return this.db.get(`${TrainingStore.IMAGE_SELECT} WHERE i.id = ? AND i.project_id = ?`, [
      imageId.toLowerCase(),
      projectId,
    ]);
  }

  private where(projectId: string, query: ImageQuery): { sql: string; values: (string | number)[] } {
    const clauses = ['i.project_id = ?'];
    const values: (string | number)[] = [projectId];
    if (query.tagging === 'Tagged') clauses.push(TAGGED);
    if (query.tagging === 'Untagged') clauses.push(`NOT ${TAGGED}`);
    if (query.tagIds?.length) {
      // Images with any of the tags, as a whole-image tag or on a region.
      const marks = query.tagIds.map(() => '?').join(', ');
      clauses.push(
        `(EXISTS (SELECT 1 FROM image_tags it WHERE it.image_id = i.id AND it.tag_id IN (${marks}))
          OR EXISTS (SELECT 1 FROM regions r WHERE r.image_id = i.id AND r.tag_id IN (${marks})))`,
      );
      values.push(...query.tagIds, ...query.tagIds);
    }
    return { sql: clauses.join(' AND '), values };
  }

  images(projectId: string, query: ImageQuery): ImageJson[] {
    this.projectRow(projectId);
    const { sql, values } = this.where(projectId, query);
    const order = query.orderBy === 'Oldest' ? 'ASC' : 'DESC';
    const rows = this.db.all(
      `${TrainingStore.IMAGE_SELECT} WHERE ${sql} ORDER BY i.seq ${order} LIMIT ? OFFSET ?`,
      [...values, query.take ?? 50, query.skip ?? 0],
    );
    return this.imagesJson(rows);
  }

  imageCount(projectId: string, query: ImageQuery): number {
    this.projectRow(projectId);
    const { sql, values } = this.where(projectId, query);
    return Number(this.db.get(`SELECT COUNT(*) AS n FROM images i WHERE ${sql}`, values)?.['n']);
  }

  imagesByIds(projectId: string, ids: readonly string[]): ImageJson[] {
    this.projectRow(projectId);
    const rows = ids.map((id) => this.imageRow(projectId, id)).filter((row): row is Row => row !== undefined);
    return this.imagesJson(rows);
  }

  /** An image file's bytes, by its hash. */
  fileBytes(sha256: string): Promise<Buffer> {
    return this.files.read(sha256);
  }

  /** The bytes of an image's original, or of its thumbnail, with their media type. */
  async imageFile(projectId: string, imageId: string, kind: 'original' | 'thumbnail') {
    this.projectRow(projectId);
    const row = this.imageRow(projectId, imageId);
    if (!row)
      throw notFound(CvErrorCode.NotFoundImage, `There is no image ${imageId} in project ${projectId}.`);
    const sha256 = String(row['sha256']);
    const format = String(row['format']);
    if (kind === 'thumbnail')
      return { bytes: await this.files.thumbnail(sha256, format), type: 'image/jpeg' };
    return { bytes: await this.files.read(sha256), type: `image/${format}` };
  }

  /**
   * Adds a batch of images with their tags and regions: each is stored (OK), found stored already with the
   * same bytes (OKDuplicate: a retried upload changes nothing), or refused with Custom Vision's status.
   */
  async createImages(projectId: string, batch: readonly NewImage[]): Promise<ImageCreateSummary> {
    this.projectRow(projectId);
    const prepared = await Promise.all(
      batch.map(async (image) => {
        const sha256 = createHash('sha256').update(image.bytes).digest('hex');
        let probe: ImageProbe;
        try {
          probe = await probeImage(image.bytes);
        } catch {
          return { image, sha256, probe: undefined };
        }
        // Thumbnails, the detector and exports decode what is stored: an image bomb (a small file that
        // declares a huge picture) is refused here, with the limits the detector keeps.
        try {
          assertDecodable(probe);
        } catch {
          return { image, sha256, probe: undefined, tooLarge: true };
        }
        return { image, sha256, probe };
      }),
    );
    // Files for every readable image, written (unless there already) before the rows and held against
    // concurrent deletes, so a row can never name a file that a delete committed meanwhile removed.
    const toWrite = [...new Set(prepared.filter((p) => p.probe).map((p) => p.sha256))];
    const isStored = (sha: string) =>
      this.db.get('SELECT 1 AS k FROM images WHERE project_id = ? AND sha256 = ?', [projectId, sha]) !==
      undefined;
    this.checkQuota(
      toWrite
        .filter((sha) => !isStored(sha))
        .reduce((sum, sha) => sum + prepared.find((p) => p.sha256 === sha)!.image.bytes.length, 0),
    );
    toWrite.forEach((sha) => this.files.hold(sha));
    let results: { sourceUrl: string; status: ImageStatus; imageId?: string }[];
    try {
      await Promise.all(
        toWrite.map((sha) => this.files.write(sha, prepared.find((p) => p.sha256 === sha)!.image.bytes)),
      );
      results = this.db.transaction(() => {
        const tagTypes = this.tagTypes(projectId);
        let count = Number(
          this.db.get('SELECT COUNT(*) AS n FROM images WHERE project_id = ?', [projectId])?.['n'],
        );
        const now = cloudTimestamp();
        const out = prepared.map(({ image, sha256, probe, tooLarge }) => {
          const report = (status: ImageStatus, imageId?: string) => ({
            sourceUrl: image.sourceUrl,
            status,
            ...(imageId ? { imageId } : {}),
          });
          if (tooLarge) return report('ErrorImageDimensions');
          if (!probe) return report('ErrorImageFormat');
          const existing = this.db.get('SELECT id FROM images WHERE project_id = ? AND sha256 = ?', [
            projectId,
            sha256,
          ]);
          if (existing) return report('OKDuplicate', String(existing['id']));
          const tagIds = [...new Set(image.tagIds.map((id) => id.toLowerCase()))];
          const regionTags = image.regions.map((region) => region.tagId.toLowerCase());
          if ([...tagIds, ...regionTags].some((id) => !tagTypes.has(id))) return report('ErrorInvalidTag');
          const types = new Set([...tagIds, ...regionTags].map((id) => tagTypes.get(id)));
          if (types.has('Negative') && types.size > 1) return report('ErrorNegativeAndRegularTagOnSameImage');
          if (tagIds.length > MAX_TAGS_PER_IMAGE) return report('ErrorTagLimitExceed');
          if (image.regions.length > MAX_REGIONS_PER_IMAGE) return report('ErrorRegionLimitExceed');
          if (count >= this.config.limits.imagesPerProject) return report('ErrorLimitExceed');
          count++;
          const id = randomUUID();
          this.db.run(
            'INSERT OR IGNORE INTO blobs (sha256, format, bytes, width, height) VALUES (?, ?, ?, ?, ?)',
            [sha256, probe.format, image.bytes.length, probe.width, probe.height],
          );
          this.db.run(
            'INSERT INTO images (id, project_id, sha256, name, metadata, created) VALUES (?, ?, ?, ?, ?, ?)',
            [
              id,
              projectId,
              sha256,
              image.name ?? null,
              image.metadata ? JSON.stringify(image.metadata) : null,
              now,
            ],
          );
          for (const tagId of tagIds) {
            this.db.run('INSERT INTO image_tags (image_id, tag_id, created) VALUES (?, ?, ?)', [
              id,
              tagId,
              now,
            ]);
          }
          for (const region of image.regions) this.insertRegion(id, region, now);
          return report('OK', id);
        });
        // Checked again inside the transaction: concurrent uploads may each have passed the check above.
        this.checkQuota(0);
        return out;
      });
    } catch (error) {
      throw isStorageFailure(error) ? storageFailed(this.dir) : error;
    } finally {
      toWrite.forEach((sha) => this.files.release(sha));
      // Files written for images that were not stored (refused, or the whole batch failed).
      const unused = toWrite.filter(
        (sha) => !this.db.get('SELECT 1 AS k FROM blobs WHERE sha256 = ?', [sha]),
      );
      await this.files.remove(unused);
    }
    const images = new Map(
      this.imagesByIds(
        projectId,
        results.flatMap((r) => (r.imageId ? [r.imageId] : [])),
      ).map((image) => [image.id, image]),
    );
    return {
      isBatchSuccessful: results.every((r) => r.status === 'OK'),
      images: results.map((r) => ({
        sourceUrl: r.sourceUrl,
        status: r.status,
        ...(r.imageId ? { image: images.get(r.imageId)! } : {}),
      })),
    };
  }

  private insertRegion(imageId: string, region: NewRegion, now: string): string {
    const id = randomUUID();
    this.db.run(
      'INSERT INTO regions (id, image_id, tag_id, left, top, width, height, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      [id, imageId, region.tagId.toLowerCase(), region.left, region.top, region.width, region.height, now],
    );
    return id;
  }

  /** Refuses (nothing written) when `incoming` more bytes would take the store past DATA_MAX_BYTES. */
  private checkQuota(incoming: number): void {
    const max = this.config.maxBytes;
    if (max === undefined) return;
    const used = this.usedBytes();
    if (used + incoming > max) {
      throw bad(
        CvErrorCode.BadRequestExceededQuota,
        `The local training store is full: it holds ${used} bytes of DATA_MAX_BYTES=${max}, and this request ` +
          `needs ${incoming} more. Nothing of it was stored. Delete images (or push them to Custom Vision ` +
          'and delete them here), or raise DATA_MAX_BYTES.',
      );
    }
  }

  /** Bytes the store takes: its image originals and its database. */
  usedBytes(): number {
    return Number(this.db.get('SELECT COALESCE(SUM(bytes), 0) AS n FROM blobs')?.['n']) + this.db.fileBytes();
  }

  async deleteImages(projectId: string, target: { all: true } | { ids: readonly string[] }): Promise<void> {
    this.projectRow(projectId);
    const orphans = this.db.transaction(() => {
      const rows =
        'all' in target
          ? this.db.all('SELECT id, sha256 FROM images WHERE project_id = ?', [projectId])
          : target.ids
              .map((id) =>
                this.db.get('SELECT id, sha256 FROM images WHERE id = ? AND project_id = ?', [
                  id.toLowerCase(),
                  projectId,
                ]),
              )
              .filter((row): row is Row => row !== undefined);
      for (const row of rows) this.db.run('DELETE FROM images WHERE id = ?', [String(row['id'])]);
      return this.dropUnusedBlobs(rows.map((row) => String(row['sha256'])));
    });
    await this.files.remove(orphans);
  }

  /**
   * Deletes the blob rows no image and no stored prediction names any more; returns their hashes, whose
   * files go after commit.
   */
  private dropUnusedBlobs(sha256s: readonly string[]): string[] {
    const dropped: string[] = [];
    for (const sha256 of new Set(sha256s)) {
      if (this.db.get('SELECT 1 AS k FROM images WHERE sha256 = ?', [sha256])) continue;
      if (this.db.get('SELECT 1 AS k FROM predictions WHERE sha256 = ?', [sha256])) continue;
      this.db.run('DELETE FROM blobs WHERE sha256 = ?', [sha256]);
      dropped.push(sha256);
    }
    return dropped;
  }

  // --- stored predictions ---------------------------------------------------------------------------

  /**
   * Keeps a prediction the local detector made on a storing route or in a quick test: its picture (a blob,
   * like an image's) and its results, so that it can be listed and promoted to a training image by id. A
   * project keeps its newest MAX_STORED_PREDICTIONS: a camera on the storing route would fill the disk.
   */
  async recordPrediction(projectId: string, prediction: StoredPredictionInput): Promise<void> {
    this.projectRow(projectId);
    const probe = await probeImage(prediction.bytes);
    const sha256 = createHash('sha256').update(prediction.bytes).digest('hex');
    this.checkQuota(prediction.bytes.length);
    this.files.hold(sha256);
    let dropped: string[];
    try {
      await this.files.write(sha256, prediction.bytes);
      dropped = this.db.transaction(() => {
        this.db.run(
          'INSERT OR IGNORE INTO blobs (sha256, format, bytes, width, height) VALUES (?, ?, ?, ?, ?)',
          [sha256, probe.format, prediction.bytes.length, probe.width, probe.height],
        );
        this.db.run(
          'INSERT INTO predictions (id, project_id, iteration_id, sha256, results, created) VALUES (?, ?, ?, ?, ?, ?)',
          [
            prediction.id,
            projectId,
            prediction.iterationId,
            sha256,
            JSON.stringify(prediction.results),
            prediction.created,
          ],
        );
        const old = this.db.all(
          'SELECT id, sha256 FROM predictions WHERE project_id = ? ORDER BY seq DESC LIMIT -1 OFFSET ?',
          [projectId, this.config.maxStoredPredictions ?? MAX_STORED_PREDICTIONS],
        );
        for (const row of old) this.db.run('DELETE FROM predictions WHERE id = ?', [String(row['id'])]);
        return this.dropUnusedBlobs([...old.map((row) => String(row['sha256'])), sha256]);
      });
    } catch (error) {
      throw isStorageFailure(error) ? storageFailed(this.dir) : error;
    } finally {
      this.files.release(sha256);
    }
    await this.files.remove(dropped);
  }

  /** A project's stored predictions, newest first. */
  storedPredictions(projectId: string, take = 256): StoredPrediction[] {
    this.projectRow(projectId);
    return this.db
      .all(
        'SELECT id, iteration_id, sha256, results, created FROM predictions WHERE project_id = ? ORDER BY seq DESC LIMIT ?',
        [projectId, take],
      )
      .map((row) => ({
        id: String(row['id']),
        iterationId: String(row['iteration_id']),
        sha256: String(row['sha256']),
        results: JSON.parse(String(row['results'])) as unknown,
        created: String(row['created']),
      }));
  }

  /** The picture of a stored prediction, or undefined when the project has no prediction of that id. */
  async storedPredictionImage(projectId: string, id: string): Promise<Buffer | undefined> {
    const row = this.db.get('SELECT sha256 FROM predictions WHERE id = ? AND project_id = ?', [
      id.toLowerCase(),
      projectId,
    ]);
    return row ? this.files.read(String(row['sha256'])) : undefined;
  }

  // --- regions and image tags -----------------------------------------------------------------------

  private requireImage(projectId: string, imageId: string): void {
    if (
      !this.db.get('SELECT 1 AS k FROM images WHERE id = ? AND project_id = ?', [
        imageId.toLowerCase(),
        projectId,
      ])
    ) {
      throw notFound(CvErrorCode.NotFoundImage, `There is no image ${imageId} in project ${projectId}.`);
    }
  }

  private requireTag(projectId: string, tagId: string): void {
    if (
      !this.db.get('SELECT 1 AS k FROM tags WHERE id = ? AND project_id = ?', [
        tagId.toLowerCase(),
        projectId,
      ])
    ) {
      throw notFound(CvErrorCode.NotFoundTag, `There is no tag ${tagId} in project ${projectId}.`);
    }
  }

  /** ImageRegionCreateSummary: regions created, already there (same image, tag and box), or over the cap. */
  createRegions(projectId: string, regions: readonly (NewRegion & { imageId: string })[]) {
    this.projectRow(projectId);
    return this.db.transaction(() => {
      const summary = { created: [] as unknown[], duplicated: [] as unknown[], exceeded: [] as unknown[] };
      const now = cloudTimestamp();
      for (const region of regions) {
        this.requireImage(projectId, region.imageId);
        this.requireTag(projectId, region.tagId);
        const entry = {
          imageId: region.imageId.toLowerCase(),
          tagId: region.tagId.toLowerCase(),
          left: region.left,
          top: region.top,
          width: region.width,
          height: region.height,
        };
        const same = this.db.get(
          'SELECT 1 AS k FROM regions WHERE image_id = ? AND tag_id = ? AND left = ? AND top = ? AND width = ? AND height = ?',
          [entry.imageId, entry.tagId, entry.left, entry.top, entry.width, entry.height],
        );
        if (same) {
          summary.duplicated.push(entry);
          continue;
        }
        const count = Number(
          this.db.get('SELECT COUNT(*) AS n FROM regions WHERE image_id = ?', [entry.imageId])?.['n'],
        );
        if (count >= MAX_REGIONS_PER_IMAGE) {
          summary.exceeded.push(entry);
          continue;
        }
        const regionId = this.insertRegion(entry.imageId, region, now);
        const row = this.db.get(
          'SELECT r.*, t.name AS tag_name FROM regions r JOIN tags t ON t.id = r.tag_id WHERE r.id = ?',
          [regionId],
        )!;
        summary.created.push({ imageId: entry.imageId, ...regionJson(row) });
      }
      return summary;
    });
  }

  deleteRegions(projectId: string, regionIds: readonly string[]): void {
    this.projectRow(projectId);
    this.db.transaction(() => {
      for (const id of regionIds) {
        this.db.run(
          'DELETE FROM regions WHERE id = ? AND image_id IN (SELECT id FROM images WHERE project_id = ?)',
          [id.toLowerCase(), projectId],
        );
      }
    });
  }

  /** ImageTagCreateSummary: whole-image tags created, already there, or over the cap. */
  createImageTags(projectId: string, pairs: readonly { imageId: string; tagId: string }[]) {
    this.projectRow(projectId);
    return this.db.transaction(() => {
      const summary = { created: [] as unknown[], duplicated: [] as unknown[], exceeded: [] as unknown[] };
      const now = cloudTimestamp();
      for (const pair of pairs) {
        this.requireImage(projectId, pair.imageId);
        this.requireTag(projectId, pair.tagId);
        const entry = { imageId: pair.imageId.toLowerCase(), tagId: pair.tagId.toLowerCase() };
        if (
          this.db.get('SELECT 1 AS k FROM image_tags WHERE image_id = ? AND tag_id = ?', [
            entry.imageId,
            entry.tagId,
          ])
        ) {
          summary.duplicated.push(entry);
          continue;
        }
        const count = Number(
          this.db.get('SELECT COUNT(*) AS n FROM image_tags WHERE image_id = ?', [entry.imageId])?.['n'],
        );
        if (count >= MAX_TAGS_PER_IMAGE) {
          summary.exceeded.push(entry);
          continue;
        }
        this.db.run('INSERT INTO image_tags (image_id, tag_id, created) VALUES (?, ?, ?)', [
          entry.imageId,
          entry.tagId,
          now,
        ]);
        summary.created.push(entry);
      }
      return summary;
    });
  }

  deleteImageTags(projectId: string, imageIds: readonly string[], tagIds: readonly string[]): void {
    this.projectRow(projectId);
    this.db.transaction(() => {
      for (const imageId of imageIds) {
        for (const tagId of tagIds) {
          this.db.run(
            'DELETE FROM image_tags WHERE image_id = ? AND tag_id = ? AND image_id IN (SELECT id FROM images WHERE project_id = ?)',
            [imageId.toLowerCase(), tagId.toLowerCase(), projectId],
          );
        }
      }
    });
  }

  /** Every image of a project, oldest first, in pages (for the dataset export), with its file's path. */
  *allImages(
    projectId: string,
    pageSize = 256,
  ): Generator<ImageJson & { file: string; fileName: string | null; format: string }> {
    let after = 0;
    for (;;) {
      const rows = this.db.all(
        `${TrainingStore.IMAGE_SELECT} WHERE i.project_id = ? AND i.seq > ? ORDER BY i.seq LIMIT ?`,
        [projectId, after, pageSize],
      );
      if (rows.length === 0) return;
      after = Number(rows[rows.length - 1]!['seq']);
      const json = this.imagesJson(rows);
      for (const [index, image] of json.entries()) {
        const row = rows[index]!;
        yield {
          ...image,
          file: this.files.originalPath(String(row['sha256'])),
          fileName: (row['name'] as string | null) ?? null,
          format: String(row['format']),
        };
      }
    }
  }
}
