// Each image file's feature vectors, kept beside it: computed once (by the detector's workers) when the
// image is stored, read back whenever its project trains. Keyed by the file's hash, so an image in
// several projects is computed once, and dropped with the file.
import type { StoreDatabase } from './database.ts';

/** Which network and node the vectors come from: vectors of another are computed again. */
export const FEATURE_MODEL = 'centernet-mobilenetv3-se14-v1';

export interface TrainingImage {
  readonly imageId: string;
  readonly tagIds: readonly string[];
  /** One vector per view, the image itself first. */
  readonly vectors: readonly Float32Array[];
}

export class FeatureRecords {
  constructor(private readonly db: StoreDatabase) {}

  /** Hashes of the project's tagged image files whose features are not computed yet. */
  missing(projectId: string): string[] {
    return this.db
      .all(
        `SELECT DISTINCT i.sha256 FROM images i
         WHERE i.project_id = ? AND EXISTS (SELECT 1 FROM image_tags it WHERE it.image_id = i.id)
           AND NOT EXISTS (SELECT 1 FROM features f WHERE f.sha256 = i.sha256 AND f.model = ?)`,
        [projectId, FEATURE_MODEL],
      )
      .map((row) => String(row['sha256']));
  }

  save(sha256: string, views: number, vectors: Float32Array): void {
    this.db.transaction(() => {
      // The file may have been deleted while its features were computed: then there is nothing to keep.
      if (!this.db.get('SELECT 1 AS k FROM blobs WHERE sha256 = ?', [sha256])) return;
      this.db.run(
        `INSERT INTO features (sha256, model, views, vectors) VALUES (?, ?, ?, ?)
         ON CONFLICT (sha256) DO UPDATE SET model = excluded.model, views = excluded.views, vectors = excluded.vectors`,
        [
          sha256,
          FEATURE_MODEL,
          views,
          // node-sqlite3-wasm binds a Uint8Array as a BLOB.
          new Uint8Array(vectors.buffer, vectors.byteOffset, vectors.byteLength) as unknown as string,
        ],
      );
    });
  }

  /** The project's tagged images with their whole-image tags and feature vectors (those computed). */
  trainingSet(projectId: string): TrainingImage[] {
    const rows = this.db.all(
      `SELECT i.id, f.views, f.vectors, (SELECT json_group_array(it.tag_id) FROM image_tags it WHERE it.image_id = i.id) AS tag_ids
       FROM images i JOIN features f ON f.sha256 = i.sha256 AND f.model = ?
       WHERE i.project_id = ? AND EXISTS (SELECT 1 FROM image_tags it WHERE it.image_id = i.id)
       ORDER BY i.seq`,
      [FEATURE_MODEL, projectId],
    );
    return rows.map((row) => {
      const views = Number(row['views']);
      // Copied into an aligned buffer of its own: Float32Array needs an offset that is a multiple of 4.
      const all = new Float32Array(new Uint8Array(row['vectors'] as Uint8Array).buffer);
      const length = all.length / views;
      return {
        imageId: String(row['id']),
        tagIds: JSON.parse(String(row['tag_ids'])) as string[],
        vectors: Array.from({ length: views }, (_, view) => all.slice(view * length, (view + 1) * length)),
      };
    });
  }
}
