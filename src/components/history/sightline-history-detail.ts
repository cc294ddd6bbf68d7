import { LitElement, html, nothing, type PropertyValues } from 'lit';
import { emit } from '../events.ts';
import { customElement, property, query, state } from 'lit/decorators.js';
import type { HistoryRecord, StoredImage } from '../../history/history-types.ts';
import { formatPercent, type DrawnBox } from '../../overlay/draw.ts';
import { formatBytes, formatTime, REASON_TEXT } from '../../history/history-format.ts';
import { focusRing, historyDetailStyles } from './history.styles.ts';
import { decodePicture, drawPicture } from '../../history/history-thumbnail.ts';
import './sightline-confirm-button.ts';
import type { TeachAccess } from '../../teach/editor/teach-access.ts';
import { freezeFrame, type FrozenFrame } from '../../teach/editor/teach-frame.ts';

/** What the detail view reads: the larger picture (falling back to the thumbnail). */
export interface HistoryDetailSource {
  image(id: number, which: 'thumbnail' | 'full'): Promise<StoredImage | undefined>;
}

const fixed = (n: number) => n.toFixed(3);

/**
 * One history record in full: the picture with its boxes, when, which model, how long the answer took, and
 * every prediction. Escape or Back closes it.
 *
 * @fires sl-close-detail - the user is done with this record
 * @fires sl-delete-record - the user confirmed deleting it (detail: {id: number})
 * @csspart picture - the canvas with the picture and boxes
 */
@customElement('sightline-history-detail')
export class SightlineHistoryDetail extends LitElement {
  static override styles = [historyDetailStyles, focusRing];

  @property({ attribute: false }) record: HistoryRecord | undefined;
  @property({ attribute: false }) source: HistoryDetailSource | undefined;
  /** What this device may teach with; none: no Teach button. */
  @property({ attribute: false }) teach: TeachAccess | undefined;

  /** The record's picture while the teach editor is open on it. */
  @state() private teaching: FrozenFrame | undefined;
  @state() private teachNote = '';

  @state() private pictureState: 'loading' | 'shown' | 'missing' = 'loading';
  @query('canvas') private canvas: HTMLCanvasElement | undefined;
  @query('.picture') private frame: HTMLElement | undefined;

  /** The boxes last drawn on the picture, in CSS pixels (read by tests). */
  lastDrawn: readonly DrawnBox[] = [];
  private bitmap: ImageBitmap | undefined;
  private loadToken = 0;
  private readonly resizeObserver = new ResizeObserver(() => this.draw());
  private observed: HTMLElement | undefined;

  override connectedCallback(): void {
    super.connectedCallback();
    this.addEventListener('keydown', this.onKeyDown);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.removeEventListener('keydown', this.onKeyDown);
    this.resizeObserver.disconnect();
    this.observed = undefined;
    this.releaseBitmap();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if ((changed.has('record') || changed.has('source')) && this.record?.id !== changed.get('record')?.id) {
      void this.load();
    }
  }

  protected override firstUpdated(): void {
    this.renderRoot.querySelector<HTMLButtonElement>('button.back')?.focus();
  }

  protected override updated(): void {
    // Redraw when the room for the picture changes (window resize, rotation): boxes stay on their objects.
    if (this.frame && this.frame !== this.observed) {
      this.resizeObserver.disconnect();
      this.resizeObserver.observe(this.frame);
      this.observed = this.frame;
    }
  }

  private async load(): Promise<void> {
    const token = ++this.loadToken;
    this.releaseBitmap();
    this.pictureState = 'loading';
    const { record, source } = this;
    if (!record || !source) return;
    try {
      const image = await source.image(record.id, 'full');
      const bitmap = image ? await decodePicture(image) : undefined;
      if (token !== this.loadToken || !this.isConnected) {
        bitmap?.close(); // another record was chosen meanwhile
        return;
      }
      this.bitmap = bitmap;
      this.pictureState = bitmap ? 'shown' : 'missing';
    } catch {
      if (token === this.loadToken) this.pictureState = 'missing';
    }
    await this.updateComplete;
    this.draw();
  }

  private draw(): void {
    const { canvas, frame, record } = this;
    if (!canvas || !frame || !record || frame.clientWidth === 0) return;
    const source = {
      width: this.bitmap?.width ?? record.thumbnail.width,
      height: this.bitmap?.height ?? record.thumbnail.height,
    };
    // As large as fits the width and 60% of the window's height, keeping the picture's aspect ratio.
    const scale = Math.min(frame.clientWidth / source.width, (window.innerHeight * 0.6) / source.height);
    const view = { width: Math.floor(source.width * scale), height: Math.floor(source.height * scale) };
    canvas.style.width = `${view.width}px`;
    canvas.style.height = `${view.height}px`;
    const dpr = window.devicePixelRatio || 1;
    this.lastDrawn = drawPicture(canvas, this.bitmap, source, record.predictions, view, dpr);
  }

  /** Opens the teach editor on this record's picture (the larger one when kept) and its predictions. */
  private readonly onTeach = async (): Promise<void> => {
    if (!this.bitmap) return;
    try {
      const [frame] = await Promise.all([
        freezeFrame(this.bitmap),
        import('../teach/sightline-teach-editor.ts'),
      ]);
      this.teaching = frame;
    } catch (error) {
      this.teachNote = error instanceof Error ? error.message : String(error);
    }
  };

  private readonly onTeachDone = (): void => {
    this.teaching?.picture.close();
    this.teaching = undefined;
  };

  private renderTeach() {
    const record = this.record;
    if (!this.teach || !record) return nothing;
    return html`<button
        type="button"
        data-testid="teach"
        ?disabled=${this.pictureState !== 'shown'}
        @click=${() => void this.onTeach()}
      >
        Teach
      </button>
      ${
        this.teaching
          ? html`<sightline-teach-editor
              .frame=${this.teaching}
              .predictions=${record.predictions}
              .source=${
                record.storedPredictionId
                  ? { kind: 'stored-prediction', predictionId: record.storedPredictionId }
                  : { kind: 'frame' }
              }
              .access=${this.teach}
              @sl-teach=${() => {
                this.teachNote = 'Taught: the picture is in the outbox.';
                this.onTeachDone();
              }}
              @sl-teach-cancel=${this.onTeachDone}
            ></sightline-teach-editor>`
          : nothing
      }`;
  }

  private releaseBitmap(): void {
    this.bitmap?.close();
    this.bitmap = undefined;
  }

  protected override render() {
    const record = this.record;
    if (!record) return nothing;
    const picture = record.full ?? record.thumbnail;
    return html`
      <div class="bar">
        <button type="button" class="back" @click=${this.close}>Back to the list</button>
        <sightline-confirm-button
          label="Delete this record"
          confirmLabel="Confirm: delete this record"
          testid="delete-record"
          @sl-confirm=${this.onDelete}
        ></sightline-confirm-button>
        ${this.renderTeach()}
      </div>
      ${this.teachNote ? html`<p role="status" data-testid="teach-note">${this.teachNote}</p>` : nothing}
      <div class="picture">
        <canvas
          part="picture"
          role="img"
          aria-label="Saved picture with ${record.predictions.length} boxes"
        ></canvas>
      </div>
      ${this.pictureState === 'missing' ? html`<p role="status">The picture of this record is missing.</p>` : nothing}
      <dl>
        <dt>Time</dt>
        <dd><time datetime=${new Date(record.time).toISOString()}>${formatTime(record.time)}</time></dd>
        <dt>Why recorded</dt>
        <dd>${REASON_TEXT[record.reason]}</dd>
        <dt>Model</dt>
        <dd>
          ${record.model.publishedName} (project ${record.model.projectId}, ${record.model.source},
          ${record.model.type})
        </dd>
        <dt>Latency</dt>
        <dd>${Math.round(record.latencyMs)} ms from capture to result</dd>
        <dt>Picture</dt>
        <dd>${picture.width}×${picture.height}, ${formatBytes(picture.bytes)}</dd>
      </dl>
      ${record.predictions.length === 0 ? html`<p>Nothing was detected.</p>` : this.renderPredictions(record)}
    `;
  }

  private renderPredictions(record: HistoryRecord) {
    return html`<table>
      <caption>
        Predictions
      </caption>
      <thead>
        <tr>
          <th scope="col">Tag</th>
          <th scope="col">Probability</th>
          <th scope="col">Box (left, top, width, height)</th>
        </tr>
      </thead>
      <tbody>
        ${record.predictions.map(
          (p) =>
            html`<tr>
              <td>${p.tagName}</td>
              <td>${formatPercent(p.probability)}</td>
              <td>
                ${p.boundingBox ? [p.boundingBox.left, p.boundingBox.top, p.boundingBox.width, p.boundingBox.height].map(fixed).join(', ') : '—'}
              </td>
            </tr>`,
        )}
      </tbody>
    </table>`;
  }

  private readonly close = (): void => {
    emit(this, 'sl-close-detail');
  };

  private readonly onDelete = (): void => {
    if (!this.record) return;
    emit(this, 'sl-delete-record', { id: this.record.id });
  };

  private readonly onKeyDown = (event: KeyboardEvent): void => {
    if (event.key === 'Escape') {
      event.preventDefault();
      this.close();
    }
  };
}

declare global {
  interface HTMLElementTagNameMap {
    'sightline-history-detail': SightlineHistoryDetail;
  }
}
