// A project's trained iterations in the local store, in Custom Vision's Iteration shape: created Training
// by trainProject, then Completed (with the classification head that answers predictions once published)
// or Failed (with trainingErrorDetails). An iteration still Training when the server starts was cut short
// by a stop or a crash: it is marked Failed, so nobody polls it for ever.
import { randomUUID } from 'node:crypto';
import { CvError, CvErrorCode } from '../http/cv-error.ts';
import type { HeldOutResult } from './training-job.ts';
import type { Row, StoreDatabase } from './database.ts';
import { cloudTimestamp } from './shapes.ts';

export const INTERRUPTED =
  'The server stopped while this iteration was training, so it never finished. Train the project again.';

const str = (row: Row, key: string) => (row[key] === null || row[key] === undefined ? '' : String(row[key]));

export function iterationJson(row: Row) {
  const errorDetails = row['error_details'];
  return {
    id: str(row, 'id'),
    name: str(row, 'name'),
    status: str(row, 'status'),
    created: str(row, 'created'),
    lastModified: str(row, 'last_modified'),
    trainedAt: row['trained_at'] === null ? null : str(row, 'trained_at'),
    projectId: str(row, 'project_id'),
    exportable: false,
    exportableTo: [],
    domainId: str(row, 'domain_id'),
    classificationType: row['classification_type'] === null ? null : str(row, 'classification_type'),
    trainingType: 'Regular',
    reservedBudgetInHours: 0,
    trainingTimeInMinutes: Math.ceil(Number(row['training_ms'] ?? 0) / 60_000),
    publishName: str(row, 'publish_name'),
    originalPublishResourceId: str(row, 'publish_name') ? 'local' : '',
    ...(errorDetails !== null && errorDetails !== undefined
      ? { trainingErrorDetails: String(errorDetails) }
      : {}),
  };
}

/** A completed iteration's trained head, with the project's tags in the head's order. */
export interface TrainedIteration {
  readonly id: string;
  readonly projectId: string;
  readonly tagIds: readonly string[];
  readonly head: Uint8Array;
  readonly heldOut: readonly HeldOutResult[];
}

export class IterationRecords {
  constructor(private readonly db: StoreDatabase) {
    this.db.transaction(() =>
      this.db.run(
        `UPDATE iterations SET status = 'Failed', error_details = ?, last_modified = ? WHERE status = 'Training'`,
        [INTERRUPTED, cloudTimestamp()],
      ),
    );
  }

  list(projectId: string) {
    return this.db
      .all('SELECT * FROM iterations WHERE project_id = ? ORDER BY seq', [projectId])
      .map(iterationJson);
  }

  private row(projectId: string, iterationId: string | undefined): Row {
    const row = this.db.get('SELECT * FROM iterations WHERE project_id = ? AND id = ?', [
      projectId,
      (iterationId ?? '').toLowerCase(),
    ]);
    if (!row) {
      throw new CvError(
        404,
        CvErrorCode.NotFoundIteration,
        `There is no iteration ${iterationId} in project ${projectId}.`,
      );
    }
    return row;
  }

  get(projectId: string, iterationId: string | undefined) {
    return iterationJson(this.row(projectId, iterationId));
  }

  training(projectId: string): boolean {
    return (
      this.db.get(`SELECT 1 AS k FROM iterations WHERE project_id = ? AND status = 'Training'`, [
        projectId,
      ]) !== undefined
    );
  }

  /** A new iteration, Training, named as Custom Vision names them: "Iteration N". */
  start(project: { id: string; domainId: string; classificationType: string | null }) {
    const now = cloudTimestamp();
    const id = randomUUID();
    this.db.transaction(() => {
      const count = Number(
        this.db.get('SELECT COUNT(*) AS n FROM iterations WHERE project_id = ?', [project.id])?.['n'] ?? 0,
      );
      this.db.run(
        `INSERT INTO iterations (id, project_id, name, status, domain_id, classification_type, created, last_modified)
         VALUES (?, ?, ?, 'Training', ?, ?, ?, ?)`,
        [id, project.id, `Iteration ${count + 1}`, project.domainId, project.classificationType, now, now],
      );
    });
    return this.get(project.id, id);
  }

  complete(
    iterationId: string,
    result: { tagIds: readonly string[]; head: Uint8Array; heldOut: readonly HeldOutResult[]; ms: number },
  ): void {
    const now = cloudTimestamp();
    this.db.transaction(() =>
      this.db.run(
        `UPDATE iterations SET status = 'Completed', trained_at = ?, last_modified = ?, training_ms = ?,
           tag_ids = ?, head = ?, held_out = ? WHERE id = ? AND status = 'Training'`,
        [
          now,
          now,
          Math.round(result.ms),
          JSON.stringify(result.tagIds),
          // node-sqlite3-wasm binds Uint8Array as a BLOB.
          result.head as unknown as string,
          JSON.stringify(result.heldOut),
          iterationId,
        ],
      ),
    );
  }

  fail(iterationId: string, details: string): void {
    this.db.transaction(() =>
      this.db.run(
        `UPDATE iterations SET status = 'Failed', error_details = ?, last_modified = ? WHERE id = ? AND status = 'Training'`,
        [details, cloudTimestamp(), iterationId],
      ),
    );
  }

  /** The completed iteration's head and held-out results; refuses one that is not trained. */
  trained(projectId: string, iterationId: string | undefined): TrainedIteration {
    const row = this.row(projectId, iterationId);
    if (row['status'] !== 'Completed' || !(row['head'] instanceof Uint8Array)) {
      throw new CvError(
        400,
        CvErrorCode.BadRequestIterationIsNotTrained,
        `Iteration ${iterationId} is ${String(row['status'])}, not trained: wait until its status is Completed, or train again.`,
      );
    }
    return {
      id: str(row, 'id'),
      projectId,
      tagIds: JSON.parse(str(row, 'tag_ids')) as string[],
      head: row['head'],
      heldOut: JSON.parse(str(row, 'held_out') || '[]') as HeldOutResult[],
    };
  }

  /** Publishes a trained iteration under a name, unique in its project as in Custom Vision. */
  publish(projectId: string, iterationId: string, name: string, overwrite: boolean): void {
    this.trained(projectId, iterationId);
    this.db.transaction(() => {
      const holder = this.db.get('SELECT id FROM iterations WHERE project_id = ? AND publish_name = ?', [
        projectId,
        name,
      ]);
      if (holder && holder['id'] !== iterationId.toLowerCase()) {
        if (!overwrite) {
          throw new CvError(
            400,
            CvErrorCode.BadRequestInvalidPublishName,
            `Another iteration of this project is published as "${name}": unpublish it, choose another name, or pass overwrite=true.`,
          );
        }
        this.db.run(`UPDATE iterations SET publish_name = '' WHERE id = ?`, [String(holder['id'])]);
      }
      this.db.run('UPDATE iterations SET publish_name = ?, last_modified = ? WHERE id = ?', [
        name,
        cloudTimestamp(),
        iterationId.toLowerCase(),
      ]);
    });
  }

  unpublish(projectId: string, iterationId: string): void {
    const row = this.row(projectId, iterationId);
    if (!row['publish_name']) {
      throw new CvError(
        400,
        CvErrorCode.BadRequestIterationNotPublished,
        `Iteration ${iterationId} is not published.`,
      );
    }
    this.db.transaction(() =>
      this.db.run(`UPDATE iterations SET publish_name = '', last_modified = ? WHERE id = ?`, [
        cloudTimestamp(),
        str(row, 'id'),
      ]),
    );
  }

  delete(projectId: string, iterationId: string): void {
    const row = this.row(projectId, iterationId);
    if (row['publish_name']) {
      throw new CvError(
        400,
        CvErrorCode.BadRequestIterationIsPublished,
        `Iteration ${iterationId} is published as "${str(row, 'publish_name')}": unpublish it first.`,
      );
    }
    if (row['status'] === 'Training') {
      throw new CvError(
        400,
        CvErrorCode.BadRequestTrainingAlreadyInProgress,
        `Iteration ${iterationId} is still training; delete it once it has finished.`,
      );
    }
    this.db.transaction(() => this.db.run('DELETE FROM iterations WHERE id = ?', [str(row, 'id')]));
  }

  /** The project's most recently trained iteration, when it has one. */
  latestTrained(projectId: string): TrainedIteration | undefined {
    const row = this.db.get(
      `SELECT id FROM iterations WHERE project_id = ? AND status = 'Completed' ORDER BY seq DESC LIMIT 1`,
      [projectId],
    );
    return row ? this.trained(projectId, String(row['id'])) : undefined;
  }

  /** The iteration a project publishes under `name`, when one is. */
  published(projectId: string, name: string): TrainedIteration | undefined {
    const row = this.db.get('SELECT id FROM iterations WHERE project_id = ? AND publish_name = ?', [
      projectId.toLowerCase(),
      name,
    ]);
    return row ? this.trained(projectId.toLowerCase(), String(row['id'])) : undefined;
  }
}
