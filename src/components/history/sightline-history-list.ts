import { LitElement, html, type PropertyValues } from 'lit';
import { emit } from '../events.ts';
import { customElement, property, query, state } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import { formatTime, REASON_TEXT, tagSummary } from '../../history/history-format.ts';
import { HistoryListLoader, type HistoryListSource } from '../../history/history-list-loader.ts';
import { historyListStyles, ROW_HEIGHT, THUMB } from './history.styles.ts';
import { drawPicture } from '../../history/history-thumbnail.ts';
import {
  anchorIndex,
  keyTarget,
  scrollToReveal,
  visibleWindow,
  type ListWindow,
} from '../../history/list-window.ts';

const OVERSCAN = 4;
/**
 * Thumbnails are drawn as if 1.5 times their size and then scaled down, so the boxes' labels (13 px in
 * the drawing code) do not cover a third of a 72 px picture, and stay legible.
 */
const THUMB_SCALE = 1.5;
const THUMB_VIEW = { width: THUMB.width * THUMB_SCALE, height: THUMB.height * THUMB_SCALE };
const thumbRatio = () => (window.devicePixelRatio || 1) / THUMB_SCALE;

/**
 * A virtualised list of history records, newest first: fixed-height rows, only those in view (plus a few)
 * in the DOM, records fetched by id a page at a time, thumbnails decoded lazily with their boxes drawn.
 * Rows are buttons in a roving tab order: arrow keys, Page Up/Down, Home and End move; Enter opens.
 *
 * @fires sl-open-record - a row was chosen (detail: {id: number})
 * @csspart row - each row's button
 */
@customElement('sightline-history-list')
export class SightlineHistoryList extends LitElement {
  static override styles = historyListStyles;

  @property({ attribute: false }) ids: readonly number[] = [];
  @property({ attribute: false }) source: HistoryListSource | undefined;

  @state() private shown: ListWindow = { start: 0, end: 0 };
  @state() private active = 0;

  @query('.scroller', true) private scroller!: HTMLDivElement;

  private readonly loader = new HistoryListLoader({
    onRecords: () => this.requestUpdate(),
    onThumbnail: (id, bitmap) => {
      const canvas = this.renderRoot.querySelector<HTMLCanvasElement>(`canvas[data-id="${id}"]`);
      if (canvas && !canvas.dataset['drawn']) this.draw(canvas, id, bitmap);
    },
    isWanted: (id) => this.rendered.has(id),
  });
  private rendered = new Set<number>();
  private tabStop = 0;
  private viewportHeight = 0;
  private focusPending = false;
  private restart = false;
  private resizeObserver: ResizeObserver | undefined;

  override connectedCallback(): void {
    super.connectedCallback();
    this.loader.revive();
    if (this.hasUpdated) this.observe();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.resizeObserver?.disconnect();
    this.resizeObserver = undefined;
    this.loader.dispose();
  }

  /** Makes the row of record `id` the current one, scrolls to it and focuses it (e.g. after a detail closes). */
  focusRecord(id: number): void {
    const index = this.ids.indexOf(id);
    if (index >= 0) this.moveTo(index);
  }

  /** Back to the newest record (a new filter shows a new list: nothing to keep in place). */
  scrollToStart(): void {
    this.active = 0;
    this.restart = true;
    if (this.hasUpdated) this.scroller.scrollTop = 0;
  }

  protected override firstUpdated(): void {
    this.observe();
  }

  private observe(): void {
    this.resizeObserver = new ResizeObserver(() => {
      this.viewportHeight = this.scroller.clientHeight;
      this.updateWindow();
    });
    this.resizeObserver.observe(this.scroller);
    this.viewportHeight = this.scroller.clientHeight;
    this.updateWindow();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('source')) this.loader.source = this.source;
    const oldIds = changed.get('ids');
    if (oldIds && this.hasUpdated && this.restart) {
      this.restart = false;
      this.shown = this.computeWindow();
    } else if (oldIds && this.hasUpdated) {
      // Keep the rows in view where they are when records arrive above them or vanish.
      const first = Math.floor(this.scroller.scrollTop / ROW_HEIGHT);
      const moved = anchorIndex(oldIds, this.ids, first) - first;
      if (moved !== 0 && this.scroller.scrollTop > 0) this.scroller.scrollTop += moved * ROW_HEIGHT;
      this.active = anchorIndex(oldIds, this.ids, this.active);
      this.shown = this.computeWindow();
    }
  }

  private computeWindow(): ListWindow {
    return visibleWindow(this.scroller.scrollTop, this.viewportHeight, ROW_HEIGHT, this.ids.length, OVERSCAN);
  }

  private updateWindow(): void {
    const next = this.computeWindow();
    if (next.start !== this.shown.start || next.end !== this.shown.end) this.shown = next;
  }

  protected override render() {
    const { start, end } = this.shown;
    const indexes = Array.from({ length: end - start }, (_, i) => start + i);
    this.rendered = new Set(indexes.map((i) => this.ids[i]!));
    // With the current row scrolled out of the DOM, the top row in view takes the tab stop instead.
    const top = Math.floor(this.scroller ? this.scroller.scrollTop / ROW_HEIGHT : 0);
    this.tabStop =
      this.active >= start && this.active < end ? this.active : Math.min(Math.max(top, start), end - 1);
    return html`<div class="scroller" @scroll=${this.onScroll} @keydown=${this.onKeyDown}>
      <div
        class="rows"
        role="list"
        aria-label="Recorded detections"
        style="height: ${this.ids.length * ROW_HEIGHT}px"
      >
        ${repeat(
          indexes,
          (i) => this.ids[i],
          (i) => this.renderRow(i),
        )}
      </div>
    </div>`;
  }

  private renderRow(index: number) {
    const id = this.ids[index]!;
    const record = this.loader.record(id);
    return html`<div
      class="row"
      role="listitem"
      style="top: ${index * ROW_HEIGHT}px"
      aria-setsize=${this.ids.length}
      aria-posinset=${index + 1}
    >
      <button
        type="button"
        part="row"
        data-testid="history-row"
        data-index=${index}
        data-id=${id}
        tabindex=${index === this.tabStop ? 0 : -1}
        @click=${() => this.open(id, index)}
        @focus=${() => (this.active = index)}
      >
        <canvas aria-hidden="true" data-id=${id}></canvas>
        <span class="text">
          ${
            record
              ? html`<span class="tags">${tagSummary(record.predictions)}</span>
                  <time class="meta" datetime=${new Date(record.time).toISOString()}
                    >${formatTime(record.time)}</time
                  >
                  <span class="meta"
                    >${REASON_TEXT[record.reason]} · ${Math.round(record.latencyMs)} ms</span
                  >`
              : html`<span class="meta">${record === null ? 'Deleted' : 'Loading…'}</span>`
          }
        </span>
      </button>
    </div>`;
  }

  protected override updated(): void {
    this.loader.fetchRecords(this.ids, this.shown.start, this.shown.end);
    for (const canvas of this.renderRoot.querySelectorAll<HTMLCanvasElement>('canvas[data-id]')) {
      const id = Number(canvas.dataset['id']);
      if (canvas.dataset['drawn'] || !this.loader.record(id)) continue;
      const bitmap = this.loader.thumbnail(id);
      if (bitmap) this.draw(canvas, id, bitmap);
      else this.loader.requestThumbnail(id, THUMB_VIEW, thumbRatio());
    }
    if (this.focusPending) {
      const row = this.renderRoot.querySelector<HTMLButtonElement>(`button[data-index="${this.active}"]`);
      if (row) {
        this.focusPending = false;
        row.focus({ preventScroll: true });
      }
    }
  }

  private draw(canvas: HTMLCanvasElement, id: number, bitmap: ImageBitmap | undefined): void {
    const record = this.loader.record(id);
    if (!record) return;
    // Boxes only: labels at thumbnail size would cover the picture and each other (the row says the tags).
    const drawn = drawPicture(
      canvas,
      bitmap,
      record.thumbnail,
      record.predictions,
      THUMB_VIEW,
      thumbRatio(),
      false,
    );
    canvas.dataset['drawn'] = bitmap ? 'picture' : 'boxes';
    canvas.dataset['boxes'] = String(drawn.length);
  }

  private open(id: number, index: number): void {
    this.active = index;
    emit(this, 'sl-open-record', { id });
  }

  private readonly onScroll = (): void => this.updateWindow();

  private readonly onKeyDown = (event: KeyboardEvent): void => {
    const rowsPerPage = Math.max(1, Math.floor(this.viewportHeight / ROW_HEIGHT) - 1);
    const target = keyTarget(event.key, this.active, this.ids.length, rowsPerPage);
    if (target === undefined) return;
    event.preventDefault();
    this.moveTo(target);
  };

  private moveTo(index: number): void {
    this.active = index;
    this.focusPending = true;
    this.scroller.scrollTop = scrollToReveal(index, this.scroller.scrollTop, this.viewportHeight, ROW_HEIGHT);
    this.updateWindow();
    this.requestUpdate();
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'sightline-history-list': SightlineHistoryList;
  }
}
