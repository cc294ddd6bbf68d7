// The store's SQLite database: opened once per data directory by one process, its schema created or
// checked, statements prepared once and kept. SQLite runs as WebAssembly (node-sqlite3-wasm) on the real
// file through Node's fs, so nothing native is built or downloaded at install time. Every write goes
// through transaction(), which runs synchronously: on one event loop no other request can interleave with
// it, so concurrent uploads are serialised by construction, and SQLite's journal makes each one all or
// nothing on disk, across a crash or a full disk.
import { CvError } from '../http/cv-error.ts';
import fs from 'node:fs';
import path from 'node:path';
import sqlite from 'node-sqlite3-wasm';
import { ConfigError } from '../env-parse.ts';

type Statement = sqlite.Statement;
export type Row = Record<string, number | bigint | string | Uint8Array | null>;
export type Values = (string | number | null)[] | Record<string, string | number | null>;

const SCHEMA_VERSION = 3;

/** What each later version adds to the schema, applied in order to a store written by an older one. */
const MIGRATIONS: Readonly<Record<number, string>> = {
  // Predictions the local detector stored (its storing /image route, and quick tests), to be listed and
  // promoted to training images by id, as Custom Vision keeps them. Their pictures are blobs like images'.
  2: `
CREATE TABLE predictions (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  iteration_id TEXT NOT NULL,
  sha256 TEXT NOT NULL REFERENCES blobs (sha256),
  results TEXT NOT NULL,
  created TEXT NOT NULL
);
CREATE INDEX predictions_by_project ON predictions (project_id, seq);
`,
  // Local training: each image file's feature vectors (its own and its augmented views', computed once,
  // when it is stored; images stored before this version get theirs when their project first trains),
  // and each project's trained iterations with their classification heads.
  3: `
CREATE TABLE features (
  sha256 TEXT PRIMARY KEY REFERENCES blobs (sha256) ON DELETE CASCADE,
  model TEXT NOT NULL,
  views INTEGER NOT NULL,
  vectors BLOB NOT NULL
);
CREATE TABLE iterations (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  status TEXT NOT NULL,
  domain_id TEXT NOT NULL,
  classification_type TEXT,
  created TEXT NOT NULL,
  last_modified TEXT NOT NULL,
  trained_at TEXT,
  training_ms INTEGER NOT NULL DEFAULT 0,
  publish_name TEXT NOT NULL DEFAULT '',
  error_details TEXT,
  tag_ids TEXT NOT NULL DEFAULT '[]',
  head BLOB,
  held_out TEXT
);
CREATE INDEX iterations_by_project ON iterations (project_id, seq);
`,
};

const SCHEMA = `
CREATE TABLE projects (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  domain_id TEXT NOT NULL,
  classification_type TEXT,
  target_export_platforms TEXT NOT NULL DEFAULT '[]',
  created TEXT NOT NULL,
  last_modified TEXT NOT NULL
);
CREATE UNIQUE INDEX projects_by_name ON projects (name COLLATE NOCASE);
CREATE TABLE tags (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  type TEXT NOT NULL,
  created TEXT NOT NULL
);
CREATE UNIQUE INDEX tags_by_name ON tags (project_id, name COLLATE NOCASE);
-- One row per distinct image file (content-addressed by SHA-256): images in several projects share it.
CREATE TABLE blobs (
  sha256 TEXT PRIMARY KEY,
  format TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  width INTEGER NOT NULL,
  height INTEGER NOT NULL
);
CREATE TABLE images (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  sha256 TEXT NOT NULL REFERENCES blobs (sha256),
  name TEXT,
  metadata TEXT,
  created TEXT NOT NULL
);
-- The same bytes once per project: a retried upload is reported as OKDuplicate, as Custom Vision does.
CREATE UNIQUE INDEX images_by_content ON images (project_id, sha256);
CREATE INDEX images_by_blob ON images (sha256);
CREATE TABLE image_tags (
  image_id TEXT NOT NULL REFERENCES images (id) ON DELETE CASCADE,
  tag_id TEXT NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
  created TEXT NOT NULL,
  PRIMARY KEY (image_id, tag_id)
);
CREATE INDEX image_tags_by_tag ON image_tags (tag_id);
CREATE TABLE regions (
  id TEXT PRIMARY KEY,
  image_id TEXT NOT NULL REFERENCES images (id) ON DELETE CASCADE,
  tag_id TEXT NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
  left REAL NOT NULL,
  top REAL NOT NULL,
  width REAL NOT NULL,
  height REAL NOT NULL,
  created TEXT NOT NULL
);
CREATE INDEX regions_by_image ON regions (image_id);
CREATE INDEX regions_by_tag ON regions (tag_id);
`;

/**
 * A full disk or a failed write, which the store answers as a storage error: SQLite's own words, or the
 * file system's error code. A refusal of the store's own (a CvError, such as the quota) is never one,
 * whatever its words.
 */
export const isStorageFailure = (error: unknown): boolean => {
  if (!(error instanceof Error) || error instanceof CvError) return false;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EIO') return true;
  return /disk is full|database or disk is full|SQLITE_FULL|disk I\/O error|SQLITE_IOERR|\bENOSPC\b|\bEDQUOT\b/i.test(
    error.message,
  );
};

/** Data directories held open by this process: a second store on one of them would race the first. */
const openHere = new Set<string>();

/**
 * One process owns a data directory: the store sweeps files no row names (left by a crash between
 * writing an image and committing it), which would delete another process's upload in progress. The
 * owner's pid is kept in a file; one left by a process that is gone is taken over, together with the
 * lock directory SQLite's file system layer leaves when a process dies inside a transaction.
 */
function takeOwnership(dir: string, dbFile: string): string {
  const ownerFile = path.join(dir, 'owner.pid');
  if (openHere.has(dir)) {
    throw new ConfigError(`The training store in ${dir} is already open in this process.`);
  }
  let previous: number | undefined;
  try {
    previous = Number(fs.readFileSync(ownerFile, 'utf8').trim());
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (previous && previous !== process.pid && isAlive(previous)) {
    throw new ConfigError(
      `The training store in ${dir} is in use by process ${previous}. Stop it, or give this server ` +
        `another DATA_DIR.`,
    );
  }
  fs.rmSync(`${dbFile}.lock`, { recursive: true, force: true });
  fs.writeFileSync(ownerFile, `${process.pid}\n`);
  openHere.add(dir);
  return ownerFile;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class StoreDatabase {
  private readonly db: sqlite.Database;
  private readonly statements = new Map<string, Statement>();
  private readonly ownerFile: string | undefined;

  /**
   * Opens (creating when missing) the database in `dir`. A reader (`readOnly`, the dataset CLI) takes no
   * ownership and may run beside the server.
   */
  constructor(
    readonly dir: string,
    options: { readOnly?: boolean } = {},
  ) {
    const file = path.join(dir, 'store.sqlite');
    if (options.readOnly) {
      if (!fs.existsSync(file)) {
        throw new ConfigError(
          `There is no training store in ${dir}: set DATA_DIR to the server's, or collect images first ` +
            '(the server creates the store on its first training request).',
        );
      }
      this.db = new sqlite.Database(file, { readOnly: true, fileMustExist: true });
      this.ownerFile = undefined;
    } else {
      fs.mkdirSync(dir, { recursive: true });
      this.ownerFile = takeOwnership(dir, file);
      this.db = new sqlite.Database(file);
    }
    try {
      // A rollback journal (WAL needs shared memory, which the WebAssembly file layer does not offer),
      // synced in full: a commit is on disk when it returns.
      this.db.exec('PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;');
      // The journal is emptied rather than deleted after each commit: deleting it costs a sync of the
      // directory on every upload.
      if (!options.readOnly) this.db.exec('PRAGMA journal_mode = TRUNCATE;');
      if (!options.readOnly) this.migrate();
    } catch (error) {
      this.close();
      throw error;
    }
  }

  private migrate(): void {
    const version = Number(this.get('PRAGMA user_version')?.['user_version'] ?? 0);
    if (version === SCHEMA_VERSION) return;
    if (version > SCHEMA_VERSION) {
      throw new ConfigError(
        `The training store in ${this.dir} has schema version ${version}; this server knows ${SCHEMA_VERSION}. ` +
          'Use the Sightline version that wrote it, or another DATA_DIR.',
      );
    }
    this.transaction(() => {
      if (version === 0) this.db.exec(SCHEMA);
      for (let next = Math.max(version, 1) + 1; next <= SCHEMA_VERSION; next++)
        this.db.exec(MIGRATIONS[next]!);
      this.db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    });
  }

  private statement(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /**
   * Runs a kept statement. One whose step failed (a full disk) keeps that error and refuses to be reset
   * for the next call, so it is dropped and prepared afresh next time.
   */
  private use<T>(sql: string, work: (statement: Statement) => T): T {
    const statement = this.statement(sql);
    try {
      return this.whenUnlocked(() => work(statement));
    } catch (error) {
      this.statements.delete(sql);
      try {
        statement.finalize();
      } catch {
        // Finalizing reports the same failure again; the statement is gone either way.
      }
      throw error;
    }
  }

  all(sql: string, values?: Values): Row[] {
    return this.use(sql, (statement) => statement.all(values) as Row[]);
  }

  /**
   * The first row. Read to the end, never with the package's get(): that stops at the first row and
   * leaves the statement running, holding the database's lock until the statement is next used, which
   * shuts out a reader beside the server (every query passed here names at most one row).
   */
  get(sql: string, values?: Values): Row | undefined {
    return this.use(sql, (statement) => (statement.all(values) as Row[])[0]);
  }

  run(sql: string, values?: Values): number {
    return this.use(sql, (statement) => statement.run(values).changes);
  }

  /**
   * SQLite's file layer here has one lock for readers and writers alike, so the dataset CLI reading beside
   * the server and the server's writes exclude each other: whichever meets the other's lock waits for it
   * (each holds it for milliseconds) and tries again.
   */
  private whenUnlocked<T>(work: () => T): T {
    for (let attempt = 1; ; attempt++) {
      try {
        return work();
      } catch (error) {
        if (attempt >= 100 || !/locked|busy/i.test((error as Error).message)) throw error;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
      }
    }
  }

  /** Runs `work` as one transaction: all of it is on disk when this returns, or none of it is. */
  transaction<T>(work: () => T): T {
    this.whenUnlocked(() => this.db.exec('BEGIN IMMEDIATE'));
    try {
      const result = work();
      this.db.exec('COMMIT');
      return result;
    } catch (error) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw error;
    }
  }

  /** Bytes the database file takes. */
  fileBytes(): number {
    try {
      return fs.statSync(path.join(this.dir, 'store.sqlite')).size;
    } catch {
      return 0;
    }
  }

  close(): void {
    for (const statement of this.statements.values()) statement.finalize();
    this.statements.clear();
    if (this.db.isOpen) this.db.close();
    if (this.ownerFile) {
      fs.rmSync(this.ownerFile, { force: true });
      openHere.delete(this.dir);
    }
  }
}
