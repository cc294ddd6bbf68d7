import { LitElement, css, html, type PropertyValues } from 'lit';
import { emit } from './events.ts';
import { customElement, property, query } from 'lit/decorators.js';
import {
  canvasSizeFor,
  drawDetections,
  overlaySceneKey,
  LABEL_FONT_SIZE,
  wallLabelFontSize,
  type DrawItem,
  type DrawnBox,
} from '../overlay/draw.ts';
import { boxToScreen, type FitMode } from '../overlay/geometry.ts';
import type { BoundingBox } from '../api/prediction-types.ts';

/**
 * The camera preview with the detection overlay drawn over it. The video's placement (object-fit,
 * mirroring) and the boxes' placement come from the same geometry, so they line up for cover and contain,
 * mirrored or not, and after a resize or rotation (which changes the video's size, not only the element's).
 *
 * @fires sl-video-size - the video's intrinsic size became known or changed (detail: {width, height})
 * @csspart video - the <video> element
 */
@customElement('sightline-viewfinder')
export class SightlineViewfinder extends LitElement {
  static override styles = css`
    :host {
      display: block;
      position: relative;
      overflow: hidden;
      background: #000;
    }
    video,
    canvas {
      position: absolute;
      inset: 0;
      width: 100%;
      height: 100%;
    }
    video.mirrored {
      transform: scaleX(-1);
    }
    canvas {
      pointer-events: none;
    }
  `;

  @property({ attribute: false }) stream: MediaStream | undefined;
  @property() fit: FitMode = 'cover';
  @property({ type: Boolean }) mirrored = false;
  /** Labels sized for reading from a few metres, relative to the window (kiosk screens). */
  @property({ type: Boolean, attribute: 'wall-labels' }) wallLabels = false;

  @query('video', true) private videoElement!: HTMLVideoElement;
  @query('canvas', true) private canvas!: HTMLCanvasElement;

  /** What the last draw put on screen, in CSS pixels relative to this element (read by tests and tools). */
  lastDrawn: readonly DrawnBox[] = [];
  /** The label text size (CSS pixels) of the last draw, read by tests. */
  lastLabelFontSize = LABEL_FONT_SIZE;
  private lastItems: readonly DrawItem[] = [];
  /** What the canvas shows now (overlaySceneKey), or undefined when that is not known. */
  private shownScene: string | undefined;
  private resizeObserver: ResizeObserver | undefined;

  get video(): HTMLVideoElement {
    return this.videoElement;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.resizeObserver = new ResizeObserver(() => this.redraw());
    this.resizeObserver.observe(this);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.resizeObserver?.disconnect();
    this.resizeObserver = undefined;
  }

  protected override render() {
    // iOS Safari plays inline, and without a user gesture, only a video that has playsinline, muted and
    // autoplay in its markup before play() is called; otherwise it goes full screen or refuses to start.
    return html`
      <video
        part="video"
        class=${this.mirrored ? 'mirrored' : ''}
        style="object-fit: ${this.fit}"
        playsinline
        muted
        autoplay
        disablepictureinpicture
        @resize=${this.onVideoResize}
        @loadedmetadata=${this.onVideoResize}
      ></video>
      <canvas aria-hidden="true" @contextrestored=${this.onContextRestored}></canvas>
    `;
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has('stream') && this.videoElement.srcObject !== (this.stream ?? null)) {
      this.videoElement.srcObject = this.stream ?? null;
      // Autoplay can be refused until the user interacts; the element keeps trying when it can.
      if (this.stream) this.videoElement.play().catch(() => undefined);
    }
    if (changed.has('fit') || changed.has('mirrored') || changed.has('wallLabels')) this.redraw();
  }

  /**
   * Draws these detections over the video, replacing what was there. The canvas is left alone when it
   * already shows exactly this (the same boxes, labels and placement).
   */
  draw(items: readonly DrawItem[]): readonly DrawnBox[] {
    this.lastItems = items;
    const view = { width: this.clientWidth, height: this.clientHeight };
    const source = { width: this.videoElement?.videoWidth ?? 0, height: this.videoElement?.videoHeight ?? 0 };
    const context = this.canvas?.getContext('2d');
    if (!context || view.width === 0 || source.width === 0) {
      // No picture to draw on (the camera is down): boxes left from before would sit over nothing.
      context?.clearRect(0, 0, this.canvas.width, this.canvas.height);
      this.shownScene = undefined;
      this.lastDrawn = [];
      return this.lastDrawn;
    }
    const dpr = window.devicePixelRatio || 1;
    const backing = canvasSizeFor(view, dpr);
    // Resizing the backing store clears it.
    if (this.canvas.width !== backing.width || this.canvas.height !== backing.height) {
      this.canvas.width = backing.width;
      this.canvas.height = backing.height;
      this.shownScene = undefined;
    }
    const labelFontSize = this.wallLabels
      ? wallLabelFontSize({ width: window.innerWidth, height: window.innerHeight })
      : LABEL_FONT_SIZE;
    const options = {
      view,
      source,
      fit: this.fit,
      mirrored: this.mirrored,
      devicePixelRatio: dpr,
      labelFontSize,
    };
    const scene = overlaySceneKey(items, options);
    if (scene === this.shownScene) return this.lastDrawn;
    this.lastLabelFontSize = labelFontSize;
    this.lastDrawn = drawDetections(context, items, options);
    this.shownScene = scene;
    return this.lastDrawn;
  }

  /** Whether any part of this box is on screen, with the preview's current fit and size. */
  shows(box: BoundingBox): boolean {
    const view = { width: this.clientWidth, height: this.clientHeight };
    const video = this.videoElement;
    const source = { width: video?.videoWidth ?? 0, height: video?.videoHeight ?? 0 };
    if (view.width === 0 || source.width === 0) return true;
    return boxToScreen(box, view, source, this.fit, this.mirrored).visible;
  }

  private redraw(): void {
    if (this.hasUpdated) this.draw(this.lastItems);
  }

  /** A 2D context the browser dropped (short of memory) comes back blank: draw the boxes again. */
  private readonly onContextRestored = (): void => {
    this.shownScene = undefined;
    this.redraw();
  };

  private readonly onVideoResize = (): void => {
    const { videoWidth: width, videoHeight: height } = this.videoElement;
    this.redraw();
    emit(this, 'sl-video-size', { width, height });
  };
}

declare global {
  interface HTMLElementTagNameMap {
    'sightline-viewfinder': SightlineViewfinder;
  }
}
