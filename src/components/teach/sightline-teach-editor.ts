import { LitElement, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { keyed } from 'lit/directives/keyed.js';
import { emit } from '../events.ts';
import type { Prediction } from '../../api/prediction-types.ts';
import { TrainingClient } from '../../api/training-client.ts';
import {
  boxToScreen,
  contentRect,
  screenToBox,
  screenToSource,
  type Point,
  type Size,
} from '../../overlay/geometry.ts';
import type { TeachDraft, TeachSource } from '../../teach/teach-types.ts';
import {
  addBox,
  applyKey,
  deleteBox,
  describeBox,
  describeModelOnlyGuess,
  describeModelOnlyTags,
  emptyEditor,
  fromPredictions,
  keyAction,
  modelOnlyTag,
  modelOnlyTags,
  placeBox,
  resizedBox,
  resolveTags,
  selectBox,
  setBoxTag,
  toRegions,
  untaggedBoxes,
  type EditorBox,
  type EditorState,
  type ProjectTag,
  type ResizeHandle,
} from '../../teach/editor/editor-state.ts';
import type { TeachAccess } from '../../teach/editor/teach-access.ts';
import {
  encodeTeachImage,
  type EncodedTeachImage,
  type FrozenFrame,
} from '../../teach/editor/teach-frame.ts';
import { loadTeachProject, rememberTag, type TeachProject } from '../../teach/editor/teach-project.ts';
import { teachEditorStyles } from './teach-editor.styles.ts';

const MAX_ZOOM = 8;
/** A press that moves less than this (CSS px) is a tap (select), not a drag or a drawn box. */
const DRAG_THRESHOLD_PX = 4;

type Corner = 'tl' | 'tr' | 'bl' | 'br';
const CORNERS: readonly Corner[] = ['tl', 'tr', 'bl', 'br'];

type Gesture =
  | { readonly kind: 'move'; readonly id: string; readonly start: Point; readonly from: EditorBox }
  | {
      readonly kind: 'resize';
      readonly id: string;
      readonly start: Point;
      readonly from: EditorBox;
      readonly handle: ResizeHandle;
    }
  | { readonly kind: 'draw'; readonly start: Point; readonly now: Point; readonly dragged: boolean }
  | {
      readonly kind: 'pinch';
      readonly startDistance: number;
      readonly startZoom: number;
      /** The point of the picture (fractions of the zoomed view) under the fingers' midpoint. */
      readonly anchor: Point;
    };

const distance = (a: Point, b: Point): number => Math.hypot(a.x - b.x, a.y - b.y);
const midpoint = (a: Point, b: Point): Point => ({ x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 });
const clamp = (value: number, min: number, max: number): number => Math.min(max, Math.max(min, value));

/**
 * Corrects one frozen frame for training. For an object detection project the model's boxes are shown as
 * proposals to accept, move, resize, delete or retag, and new boxes can be drawn; for a classification
 * project the person picks the image's tags. Touch (drag, pinch to zoom), mouse and keyboard (Tab between
 * boxes, arrows move, Shift+arrows resize, Delete removes, Enter accepts a box, Ctrl+Enter sends, Escape
 * cancels) all work.
 *
 * Boxes are placed with the overlay's own geometry, inverted for what the person draws, so a box drawn on
 * a letterboxed or mirrored picture lands on the pixels under it.
 *
 * @fires sl-teach - the person confirmed: the draft goes to the outbox (detail: TeachDraft)
 * @fires sl-teach-cancel - the person left without teaching
 */
@customElement('sightline-teach-editor')
export class SightlineTeachEditor extends LitElement {
  static override styles = teachEditorStyles;

  @property({ attribute: false }) frame: FrozenFrame | undefined;
  /** The model's answer for this frame: boxes become proposals. */
  @property({ attribute: false }) predictions: readonly Prediction[] = [];
  @property({ attribute: false }) access: TeachAccess | undefined;
  @property({ attribute: false }) source: TeachSource = { kind: 'frame' };
  /** Show the picture as the live preview showed it (a user-facing camera's is mirrored). */
  @property({ type: Boolean }) mirrored = false;
  /** The confirm button's words ("Send to training", or "Accept" when reviewing a queued frame). */
  @property() confirmLabel = 'Send to training';

  @state() private editor: EditorState = emptyEditor();
  @state() private project: TeachProject | undefined;
  @state() private problem = '';
  @state() private busy = false;
  /** Whole-image tags (classification). */
  @state() private imageTags: readonly string[] = [];
  /** The model's best guess when the classification project has no tag of that name (so none is ticked). */
  @state() private modelOnlyGuess: string | undefined;
  @state() private zoom = 1;
  @state() private pan: Point = { x: 0, y: 0 };
  @state() private view: Size = { width: 0, height: 0 };
  @state() private drawing: { x: number; y: number; width: number; height: number } | undefined;
  @state() private newTagName = '';

  @query('dialog', true) private dialog!: HTMLDialogElement;
  @query('.stage', true) private stage!: HTMLElement;
  @query('canvas', true) private canvas!: HTMLCanvasElement;

  /** When the editor was shown (performance.now()), for the benchmark: tap to editor shown. */
  shownAt: number | undefined;

  private encoding: Promise<EncodedTeachImage> | undefined;
  private readonly pointers = new Map<number, Point>();
  private gesture: Gesture | undefined;
  private lastTag: ProjectTag | undefined;
  private readonly abort = new AbortController();
  private readonly resizeObserver = new ResizeObserver(() => this.measure());

  private get client(): TrainingClient | undefined {
    return this.access ? new TrainingClient(this.access.training) : undefined;
  }

  private get isDetection(): boolean {
    return this.project?.type.kind !== 'classification';
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.loadProject();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.abort.abort();
    this.resizeObserver.disconnect();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('frame')) this.encoding = undefined;
    if (changed.has('predictions') || changed.has('frame')) {
      this.editor = fromPredictions(this.predictions, this.project?.tags ?? []);
    }
  }

  protected override firstUpdated(): void {
    this.dialog.showModal();
    this.resizeObserver.observe(this.stage);
    this.measure();
    this.shownAt = performance.now();
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has('frame')) {
      this.paintPicture();
      // Encoded while the person edits, so the JPEG is usually ready when they confirm; started after the
      // editor is on screen, since drawing the full frame for the encoder would delay showing it.
      requestAnimationFrame(() =>
        setTimeout(() => {
          if (this.isConnected) void this.encoded();
        }),
      );
    }
  }

  /** The frame as the JPEG to send, encoded once. */
  private encoded(): Promise<EncodedTeachImage> {
    if (!this.frame) return Promise.reject(new Error('There is no picture to send.'));
    if (!this.encoding) {
      this.encoding = encodeTeachImage(this.frame, this.access?.training.limits.maxImageBytes);
      this.encoding.catch(() => undefined); // a failure is reported when the person confirms
    }
    return this.encoding;
  }

  private paintPicture(): void {
    const { frame, canvas } = this;
    if (!frame || !canvas) return;
    canvas.width = frame.width;
    canvas.height = frame.height;
    canvas.getContext('2d')?.drawImage(frame.picture, 0, 0);
  }

  private measure(): void {
    const { clientWidth: width, clientHeight: height } = this.stage;
    if (width !== this.view.width || height !== this.view.height) {
      this.view = { width, height };
      this.pan = this.clampPan(this.pan, this.zoom);
    }
  }

  private async loadProject(): Promise<void> {
    const client = this.client;
    if (!client || !this.access) return;
    let outcome: Awaited<ReturnType<typeof loadTeachProject>>;
    try {
      outcome = await loadTeachProject(client, this.access.training.projectId, this.abort.signal);
    } catch (error) {
      if (this.abort.signal.aborted) return; // closed before the project came: nothing to show it in
      throw error;
    }
    if (this.abort.signal.aborted) return;
    if (!outcome.ok) {
      this.problem = outcome.message;
      return;
    }
    this.project = outcome.project;
    this.editor = resolveTags(this.editor, outcome.project.tags);
    if (outcome.project.type.kind === 'classification') {
      // The model's best guess is the proposal: a right guess is one tap on Send.
      const best = [...this.predictions].sort((a, b) => b.probability - a.probability)[0];
      const tag =
        best && outcome.project.tags.find((t) => t.name.toLowerCase() === best.tagName.toLowerCase());
      this.imageTags = tag ? [tag.id] : [];
      this.modelOnlyGuess = best && !tag ? best.tagName : undefined;
    }
  }

  // ---- Geometry: the zoomed picture is a larger virtual view, offset by the pan, inside the stage. ----

  private get zoomedView(): Size {
    return { width: this.view.width * this.zoom, height: this.view.height * this.zoom };
  }

  private get pictureSize(): Size {
    return { width: this.frame?.width ?? 0, height: this.frame?.height ?? 0 };
  }

  /** Keeps the zoomed picture covering the stage: no panning into emptiness. */
  private clampPan(pan: Point, zoom: number): Point {
    const { width, height } = this.view;
    return {
      x: clamp(pan.x, width - width * zoom, 0),
      y: clamp(pan.y, height - height * zoom, 0),
    };
  }

  /** A stage point (CSS px) in picture fractions, with the zoom, pan, letterbox and mirroring undone. */
  private toPicture(point: Point): Point | undefined {
    const local = { x: point.x - this.pan.x, y: point.y - this.pan.y };
    return screenToSource(local, this.zoomedView, this.pictureSize, 'contain', this.mirrored);
  }

  private stagePoint(event: PointerEvent | WheelEvent): Point {
    const rect = this.stage.getBoundingClientRect();
    return { x: event.clientX - rect.left, y: event.clientY - rect.top };
  }

  private screenRectOf(box: EditorBox) {
    const rect = boxToScreen(box, this.zoomedView, this.pictureSize, 'contain', this.mirrored);
    return { ...rect, x: rect.x + this.pan.x, y: rect.y + this.pan.y };
  }

  /** A corner as the person sees it, as the sides of the picture it drags (mirroring swaps left and right). */
  private handleFor(corner: Corner): ResizeHandle {
    const screenLeft = corner === 'tl' || corner === 'bl';
    const pictureLeft = this.mirrored ? !screenLeft : screenLeft;
    return { x: pictureLeft ? 'left' : 'right', y: corner.startsWith('t') ? 'top' : 'bottom' };
  }

  // ---- Pointer gestures: one finger or the mouse moves, resizes or draws; two fingers pinch to zoom. ----

  private readonly onPointerDown = (event: PointerEvent): void => {
    if (event.button !== 0 && event.pointerType === 'mouse') return;
    const point = this.stagePoint(event);
    this.pointers.set(event.pointerId, point);
    this.stage.setPointerCapture(event.pointerId);
    event.preventDefault();
    if (this.pointers.size === 2) {
      this.startPinch();
      return;
    }
    if (this.pointers.size > 2 || !this.isDetection) return;
    const target = event.composedPath()[0] as HTMLElement;
    const boxElement = target.closest<HTMLElement>('[data-box-id]');
    const id = boxElement?.dataset['boxId'];
    const box = id === undefined ? undefined : this.editor.boxes.find((b) => b.id === id);
    const picturePoint = this.toPicture(point);
    if (box && picturePoint) {
      this.editor = selectBox(this.editor, box.id);
      const corner = target.dataset['corner'] as Corner | undefined;
      this.gesture = corner
        ? { kind: 'resize', id: box.id, start: picturePoint, from: box, handle: this.handleFor(corner) }
        : { kind: 'move', id: box.id, start: picturePoint, from: box };
      boxElement?.focus({ preventScroll: true });
      return;
    }
    this.gesture = { kind: 'draw', start: point, now: point, dragged: false };
  };

  private startPinch(): void {
    const [a, b] = [...this.pointers.values()] as [Point, Point];
    const middle = midpoint(a, b);
    const zoomed = this.zoomedView;
    this.gesture = {
      kind: 'pinch',
      startDistance: Math.max(1, distance(a, b)),
      startZoom: this.zoom,
      anchor: { x: (middle.x - this.pan.x) / zoomed.width, y: (middle.y - this.pan.y) / zoomed.height },
    };
    this.drawing = undefined;
  }

  private readonly onPointerMove = (event: PointerEvent): void => {
    if (!this.pointers.has(event.pointerId)) return;
    const point = this.stagePoint(event);
    this.pointers.set(event.pointerId, point);
    const gesture = this.gesture;
    if (!gesture) return;
    if (gesture.kind === 'pinch') {
      const [a, b] = [...this.pointers.values()] as [Point, Point];
      const zoom = clamp((gesture.startZoom * distance(a, b)) / gesture.startDistance, 1, MAX_ZOOM);
      this.zoomAround(midpoint(a, b), gesture.anchor, zoom);
      return;
    }
    if (gesture.kind === 'draw') {
      const dragged = gesture.dragged || distance(gesture.start, point) >= DRAG_THRESHOLD_PX;
      this.gesture = { ...gesture, now: point, dragged };
      if (dragged) this.drawing = rectBetween(gesture.start, point);
      return;
    }
    const now = this.toPicture(point);
    if (!now) return;
    const dx = now.x - gesture.start.x;
    const dy = now.y - gesture.start.y;
    const to =
      gesture.kind === 'move'
        ? { ...gesture.from, left: gesture.from.left + dx, top: gesture.from.top + dy }
        : resizedBox(gesture.from, gesture.handle, dx, dy);
    this.editor = placeBox(this.editor, gesture.id, to);
  };

  private readonly onPointerUp = (event: PointerEvent): void => {
    if (!this.pointers.delete(event.pointerId)) return;
    const gesture = this.gesture;
    if (gesture?.kind === 'pinch') {
      // Lifting one finger of two ends the pinch; the other must not start drawing where it rests.
      if (this.pointers.size === 0) this.gesture = undefined;
      return;
    }
    this.gesture = undefined;
    if (gesture?.kind !== 'draw') return;
    this.drawing = undefined;
    if (!gesture.dragged || event.type === 'pointercancel') {
      this.editor = selectBox(this.editor, undefined); // a tap on the picture clears the selection
      return;
    }
    const rect = rectBetween(gesture.start, gesture.now);
    const local = { ...rect, x: rect.x - this.pan.x, y: rect.y - this.pan.y };
    const place = screenToBox(local, this.zoomedView, this.pictureSize, 'contain', this.mirrored);
    if (!place) return;
    this.editor = addBox(this.editor, place, this.lastTag);
    void this.focusSelected();
  };

  private readonly onWheel = (event: WheelEvent): void => {
    event.preventDefault();
    const point = this.stagePoint(event);
    const zoomed = this.zoomedView;
    const anchor = { x: (point.x - this.pan.x) / zoomed.width, y: (point.y - this.pan.y) / zoomed.height };
    this.zoomAround(point, anchor, clamp(this.zoom * Math.exp(-event.deltaY / 400), 1, MAX_ZOOM));
  };

  /** Zooms so that `anchor` (fractions of the zoomed view) stays under `point` of the stage. */
  private zoomAround(point: Point, anchor: Point, zoom: number): void {
    const width = this.view.width * zoom;
    const height = this.view.height * zoom;
    this.zoom = zoom;
    this.pan = this.clampPan({ x: point.x - anchor.x * width, y: point.y - anchor.y * height }, zoom);
  }

  private zoomBy(factor: number): void {
    const centre = { x: this.view.width / 2, y: this.view.height / 2 };
    const zoomed = this.zoomedView;
    const anchor = { x: (centre.x - this.pan.x) / zoomed.width, y: (centre.y - this.pan.y) / zoomed.height };
    this.zoomAround(centre, anchor, clamp(this.zoom * factor, 1, MAX_ZOOM));
  }

  // ---- Keyboard ----

  private readonly onBoxKey = (event: KeyboardEvent, id: string): void => {
    if (event.ctrlKey || event.metaKey) return; // Ctrl+Enter sends the whole teach (the dialog's keys)
    const action = keyAction(event.key, { shift: event.shiftKey, alt: event.altKey });
    if (!action) return;
    event.preventDefault();
    event.stopPropagation();
    const next = applyKey(this.editor, id, action);
    // A deleted box's selection moves to its neighbour (deleteBox chose it), where the focus follows.
    this.editor = action.kind === 'delete' ? next : selectBox(next, id);
    if (action.kind === 'delete') void this.focusSelected();
  };

  private async focusSelected(): Promise<void> {
    await this.updateComplete;
    const id = this.editor.selectedId;
    const target =
      id === undefined
        ? this.renderRoot.querySelector<HTMLElement>('[data-action="add-box"]')
        : this.renderRoot.querySelector<HTMLElement>(`[data-box-id="${id}"]`);
    target?.focus({ preventScroll: true });
  }

  /** Keys stay inside the modal editor; Ctrl+Enter (Cmd+Enter) sends from anywhere in it. */
  private readonly onDialogKey = (event: KeyboardEvent): void => {
    event.stopPropagation();
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      void this.confirm();
    }
  };

  private readonly onCancel = (event: Event): void => {
    // The dialog's own Escape handling would close it without telling the view that opened it.
    event.preventDefault();
    this.close();
  };

  private close(): void {
    this.dialog.close();
    emit(this, 'sl-teach-cancel');
  }

  // ---- Tags ----

  private pickBoxTag(id: string, tagId: string): void {
    const tag = this.project?.tags.find((t) => t.id === tagId);
    if (!tag) return;
    this.lastTag = tag;
    this.editor = setBoxTag(this.editor, id, tag);
  }

  private toggleImageTag(tagId: string, on: boolean): void {
    const multilabel = this.project?.type.kind === 'classification' && this.project.type.multilabel;
    if (!multilabel) {
      this.imageTags = on ? [tagId] : [];
      return;
    }
    this.imageTags = on
      ? [...new Set([...this.imageTags, tagId])]
      : this.imageTags.filter((t) => t !== tagId);
  }

  private async createTag(): Promise<void> {
    const name = this.newTagName.trim();
    const client = this.client;
    if (!name || !client || !this.project) return;
    const existing = this.project.tags.find((t) => t.name.toLowerCase() === name.toLowerCase());
    let tag: ProjectTag | undefined = existing;
    if (!tag) {
      this.busy = true;
      const outcome = await client.createTag(name, this.abort.signal);
      this.busy = false;
      if (!outcome.ok) {
        this.problem = `The tag "${name}" could not be added: ${outcome.failure.message}`;
        return;
      }
      tag = { id: outcome.value.id, name: outcome.value.name };
      rememberTag(this.project.id, tag);
      this.project = { ...this.project, tags: [...this.project.tags, tag] };
    }
    this.newTagName = '';
    this.problem = '';
    if (this.isDetection) {
      const id = this.editor.selectedId;
      if (id !== undefined) this.pickBoxTag(id, tag.id);
      else this.lastTag = tag;
    } else {
      this.toggleImageTag(tag.id, true);
    }
  }

  // ---- Confirming ----

  private async confirm(): Promise<void> {
    const { frame, access } = this;
    if (!frame || !access || this.busy) return;
    if (!this.project) {
      this.problem = this.problem || "The project's tags are still loading: a moment, please.";
      return;
    }
    if (this.isDetection) {
      const untagged = untaggedBoxes(this.editor);
      if (untagged.length > 0) {
        this.problem = `Pick a tag for every box: ${untagged.length === 1 ? 'one box has' : `${untagged.length} boxes have`} none.`;
        this.editor = selectBox(this.editor, untagged[0]!.id);
        void this.focusSelected();
        return;
      }
    } else if (this.imageTags.length === 0) {
      this.problem = 'Pick at least one tag for this picture.';
      return;
    }
    this.busy = true;
    try {
      const encoded = await this.encoded();
      const draft: TeachDraft = {
        clientId: crypto.randomUUID(),
        projectId: access.training.projectId,
        image: encoded.blob,
        width: encoded.width,
        height: encoded.height,
        tagIds: this.isDetection ? [] : [...this.imageTags],
        regions: this.isDetection ? toRegions(this.editor) : [],
        source: this.source,
        createdAt: Date.now(),
      };
      emit(this, 'sl-teach', draft);
      this.dialog.close();
    } catch (error) {
      this.problem = `The picture could not be prepared: ${error instanceof Error ? error.message : String(error)}`;
    } finally {
      this.busy = false;
    }
  }

  // ---- Rendering ----

  protected override render(): TemplateResult {
    const kind = this.project?.type;
    const title = !kind
      ? 'Teach this frame'
      : kind.kind === 'detection'
        ? 'Teach this frame: correct the boxes'
        : kind.multilabel
          ? 'Teach this frame: pick its tags'
          : 'Teach this frame: pick its tag';
    // Keys stay inside the modal editor: Escape here must not also close the history detail behind it.
    return html`<dialog
      aria-labelledby="teach-title"
      data-testid="teach-editor"
      @cancel=${this.onCancel}
      @keydown=${this.onDialogKey}
    >
      <header>
        <h2 id="teach-title">${title}</h2>
        <p class="hint" id="teach-hint">
          ${
            this.isDetection
              ? 'Drag a box to move it, its corners to resize, or drag on the picture to draw a new one. Keys: Tab between boxes, arrows move, Shift+arrows resize, Delete removes, Enter accepts a box, Ctrl+Enter sends.'
              : 'Choose what this picture shows.'
          }
        </p>
      </header>
      ${this.renderStage()}
      <div class="panel">
        ${this.isDetection ? this.renderBoxPanel() : this.renderImageTags()} ${this.renderNewTag()}
        <p class="problem" role="alert" data-testid="teach-problem">${this.problem}</p>
        <div class="actions">
          <button type="button" @click=${() => this.close()} data-testid="teach-cancel">Cancel</button>
          <button
            type="button"
            class="primary"
            data-testid="teach-confirm"
            ?disabled=${this.busy}
            @click=${() => void this.confirm()}
          >
            ${this.confirmLabel}
          </button>
        </div>
      </div>
    </dialog>`;
  }

  private renderStage(): TemplateResult {
    const zoomed = this.zoomedView;
    const picture = contentRect(zoomed, this.pictureSize, 'contain');
    const pictureStyle = `left:${this.pan.x + picture.x}px;top:${this.pan.y + picture.y}px;width:${picture.width}px;height:${picture.height}px`;
    return html`<div
      class="stage"
      data-testid="teach-stage"
      @pointerdown=${this.onPointerDown}
      @pointermove=${this.onPointerMove}
      @pointerup=${this.onPointerUp}
      @pointercancel=${this.onPointerUp}
      @wheel=${this.onWheel}
    >
      <canvas
        class=${this.mirrored ? 'mirrored' : ''}
        style=${pictureStyle}
        role="img"
        aria-label="The frozen frame"
      ></canvas>
      ${this.isDetection ? this.editor.boxes.map((box) => this.renderBox(box)) : nothing}
      ${
        this.drawing
          ? html`<div
              class="drawing"
              style="left:${this.drawing.x}px;top:${this.drawing.y}px;width:${this.drawing.width}px;height:${this.drawing.height}px"
            ></div>`
          : nothing
      }
      <div class="zoom" @pointerdown=${(e: Event) => e.stopPropagation()}>
        <button type="button" aria-label="Zoom out" @click=${() => this.zoomBy(1 / 1.5)}>−</button>
        <span data-testid="teach-zoom">${Math.round(this.zoom * 100)} %</span>
        <button type="button" aria-label="Zoom in" @click=${() => this.zoomBy(1.5)}>+</button>
      </div>
    </div>`;
  }

  private renderBox(box: EditorBox): TemplateResult {
    const rect = this.screenRectOf(box);
    const selected = box.id === this.editor.selectedId;
    const classes = ['box', box.proposed ? 'proposed' : '', selected ? 'selected' : ''].join(' ');
    // Known only once the project's tags are in: until then a proposal shows the model's name as it is.
    const tagsKnown = this.project !== undefined;
    const modelOnly = tagsKnown ? modelOnlyTag(box) : undefined;
    return html`<button
      type="button"
      class=${classes}
      data-box-id=${box.id}
      data-testid="teach-box"
      aria-label=${describeBox(box, tagsKnown)}
      aria-pressed=${selected ? 'true' : 'false'}
      aria-describedby="teach-hint"
      style="left:${rect.x}px;top:${rect.y}px;width:${rect.width}px;height:${rect.height}px"
      @focus=${() => (this.editor = selectBox(this.editor, box.id))}
      @keydown=${(event: KeyboardEvent) => this.onBoxKey(event, box.id)}
    >
      <span class="label" aria-hidden="true"
        >${modelOnly === undefined ? box.tagName || 'pick a tag' : `pick a tag (model: ${modelOnly})`}</span
      >
      ${selected ? CORNERS.map((corner) => html`<span class="corner ${corner}" data-corner=${corner}></span>`) : nothing}
    </button>`;
  }

  private renderBoxPanel(): TemplateResult {
    const selected = this.editor.boxes.find((box) => box.id === this.editor.selectedId);
    const tags = this.project?.tags ?? [];
    const modelOnly =
      this.project &&
      describeModelOnlyTags(
        modelOnlyTags(this.editor),
        this.project.name,
        this.access?.canCreateTags ?? false,
      );
    return html`<div class="boxes">
      <p data-testid="teach-box-count">
        ${this.editor.boxes.length} ${this.editor.boxes.length === 1 ? 'box' : 'boxes'}
      </p>
      ${modelOnly ? html`<p class="hint" data-testid="teach-model-only">${modelOnly}</p>` : nothing}
      <button
        type="button"
        data-action="add-box"
        data-testid="teach-add-box"
        @click=${() => {
          this.editor = addBox(this.editor, undefined, this.lastTag);
          void this.focusSelected();
        }}
      >
        Add a box
      </button>
      ${
        selected
          ? html`${
                // A picker of its own for each box: a select the person has used keeps its choice against
                // the options' selected attributes, so a reused one could show the previous box's tag.
                keyed(
                  selected.id,
                  html`<label
                    >Tag of the selected box
                    <select
                      data-testid="teach-box-tag"
                      @change=${(e: Event) => this.pickBoxTag(selected.id, (e.target as HTMLSelectElement).value)}
                    >
                      <option value="" ?selected=${selected.tagId === undefined} disabled>Pick a tag…</option>
                      ${tags.map(
                        (tag) =>
                          html`<option value=${tag.id} ?selected=${tag.id === selected.tagId}>
                            ${tag.name}
                          </option>`,
                      )}
                    </select></label
                  >`,
                )
              }
              <button
                type="button"
                data-testid="teach-delete-box"
                @click=${() => {
                  this.editor = deleteBox(this.editor, selected.id);
                  void this.focusSelected();
                }}
              >
                Delete this box
              </button>`
          : html`<p class="hint">Select a box to change its tag.</p>`
      }
    </div>`;
  }

  private renderImageTags(): TemplateResult {
    const project = this.project;
    if (!project || project.type.kind !== 'classification') return html``;
    const multilabel = project.type.multilabel;
    const guess = this.modelOnlyGuess;
    return html`${
        guess === undefined
          ? nothing
          : html`<p class="hint" data-testid="teach-model-only">
              ${describeModelOnlyGuess(guess, project.name)}
            </p>`
      }
      <fieldset class="image-tags" data-testid="teach-image-tags">
        <legend>${multilabel ? 'Tags of this picture (one or more)' : 'Tag of this picture'}</legend>
        ${project.tags.map(
          (tag) =>
            html`<label
              ><input
                type=${multilabel ? 'checkbox' : 'radio'}
                name="image-tag"
                value=${tag.id}
                .checked=${this.imageTags.includes(tag.id)}
                @change=${(e: Event) => this.toggleImageTag(tag.id, (e.target as HTMLInputElement).checked)}
              />${tag.name}</label
            >`,
        )}
      </fieldset>`;
  }

  private renderNewTag(): TemplateResult | typeof nothing {
    if (!this.access?.canCreateTags || !this.project) return nothing;
    return html`<form
      class="new-tag"
      @submit=${(e: Event) => {
        e.preventDefault();
        void this.createTag();
      }}
    >
      <label
        >New tag
        <input
          data-testid="teach-new-tag"
          .value=${this.newTagName}
          @input=${(e: Event) => (this.newTagName = (e.target as HTMLInputElement).value)}
      /></label>
      <button type="submit" ?disabled=${this.busy || this.newTagName.trim() === ''}>Add tag</button>
    </form>`;
  }
}

function rectBetween(a: Point, b: Point) {
  return {
    x: Math.min(a.x, b.x),
    y: Math.min(a.y, b.y),
    width: Math.abs(a.x - b.x),
    height: Math.abs(a.y - b.y),
  };
}

declare global {
  interface HTMLElementTagNameMap {
    'sightline-teach-editor': SightlineTeachEditor;
  }
}
