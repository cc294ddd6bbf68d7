import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import type { SightlineEvent } from './events.ts';
import { customElement, property, query, state } from 'lit/decorators.js';
import { chosenModel, modelKey, type ModelInfo, type PredictionBudget } from '../api/server-info.ts';
import { loadSettings, saveSettings, settingsFromUrl, type Settings } from '../settings/settings.ts';
import { isProbablyPhone } from '../camera/camera.ts';
import { CameraController } from '../controllers/camera-controller.ts';
import { DetectionController, type ListedDetection } from '../controllers/detection-controller.ts';
import { KioskController } from '../controllers/kiosk-controller.ts';
import { ReviewController } from '../controllers/review-controller.ts';
import { kioskOptionsFromUrl } from '../kiosk/kiosk-mode.ts';
import { LoopState } from '../pipeline/frame-scheduler.ts';
import type { LoopFigures } from '../pipeline/loop-stats.ts';
import './sightline-detection-list.ts';
import './sightline-hud.ts';
import './sightline-settings.ts';
import './sightline-viewfinder.ts';
import type { SightlineViewfinder } from './sightline-viewfinder.ts';
import type { TeachAccess } from '../teach/editor/teach-access.ts';
import { freezeFrame, freezeStoredFrame, type FrozenFrame } from '../teach/editor/teach-frame.ts';
import type { TeachSource } from '../teach/teach-types.ts';
import type { Prediction } from '../api/prediction-types.ts';

/**
 * A stored prediction is taught from (its own frame, promoted by id) only when this recent: an older one may
 * show something else than the camera does now, and then the live frame is taught instead.
 */
const STORED_FRAME_FRESH_MS = 5_000;

const loadTeachEditor = () => import('./teach/sightline-teach-editor.ts');

/**
 * The live camera view: the preview with boxes, what is in view as text, the loop's state, the status
 * figures and the settings. Owns the camera (CameraController) and the detection loop
 * (DetectionController); per-frame data goes straight to the canvas, never through Lit's rendering.
 *
 * @csspart stage - the preview area
 */
@customElement('sightline-live')
export class SightlineLive extends LitElement {
  static override styles = css`
    :host {
      display: grid;
      gap: 12px;
    }
    .stage {
      position: relative;
      height: min(70vh, 720px);
      border-radius: 12px;
      overflow: hidden;
      background: #000;
    }
    sightline-viewfinder {
      position: absolute;
      inset: 0;
    }
    sightline-hud {
      position: absolute;
      top: 8px;
      left: 8px;
    }
    .banner {
      position: absolute;
      left: 8px;
      right: 8px;
      bottom: 8px;
      margin: 0;
      padding: 8px 12px;
      border-radius: 8px;
      background: rgb(0 0 0 / 0.7);
      color: #fff;
    }
    .startup p {
      margin: 0 0 0.25em;
    }
    .startup ol {
      display: flex;
      flex-wrap: wrap;
      gap: 0.25em 1em;
      margin: 0;
      padding: 0;
      list-style: none;
      font-size: 0.875em;
    }
    .startup li::before {
      content: '○ ';
    }
    .startup li.doing::before {
      content: '◐ ';
    }
    .startup li.done::before {
      content: '✓ ';
    }
    .startup li.todo {
      opacity: 0.7;
    }
    .banner button,
    .banner a.button {
      margin-left: 8px;
      font: inherit;
      min-height: 44px;
      min-width: 44px;
      padding: 0 1rem;
    }
    .banner a.button {
      display: inline-flex;
      align-items: center;
      color: inherit;
      border: 1px solid currentColor;
      border-radius: 6px;
      text-decoration: none;
    }
    .actions {
      display: flex;
      gap: 12px;
      align-items: center;
      justify-content: space-between;
    }
    .actions button {
      font: inherit;
      min-height: 2.75rem;
      padding: 0 1rem;
    }
    .note {
      margin: 0;
      min-height: 1.2em;
      font-size: 0.85rem;
      opacity: 0.8;
    }
    :host([kiosk]) {
      height: 100vh;
      height: 100dvh;
      grid-template-rows: 1fr auto;
      gap: 0;
    }
    :host([kiosk]) .stage {
      height: auto;
      border-radius: 0;
    }
    /* Read from a few metres: sized by the screen, about 4.5 % of its height on a landscape screen (48 px
       at 1080p), the detections list included. */
    .kiosk-status {
      padding: 0.25em 0.5em;
      background: #000;
      color: #fff;
      font-size: clamp(1.5rem, min(3.5vw, 4.5vh), 6rem);
      min-height: 1.5em;
      --sl-detections-font-size: 1em;
    }
    :host([kiosk]) .banner {
      font-size: clamp(1.25rem, min(3vw, 3.5vh), 4rem);
    }
    details > summary {
      cursor: pointer;
      padding: 0.625rem 0; /* 44 px tall: a comfortable touch target */
    }
  `;

  /** Every model the server serves (/api/config), its first first; the person may choose one in settings. */
  @property({ attribute: false }) models!: readonly ModelInfo[];
  @property({ attribute: false }) budget!: PredictionBudget;
  /** Whether the server says its model is loaded and answering (its health), for the start-up steps. */
  @property({ type: Boolean }) modelReady = false;
  /** Kiosk mode: no controls, a large status, and self-healing (see KioskController). */
  @property({ type: Boolean, reflect: true }) kiosk = false;
  /** What this device may teach with (from /api/config); none: no Teach button. */
  @property({ attribute: false }) teach: TeachAccess | undefined;

  @state() settings: Settings = settingsFromUrl(location.search, loadSettings());

  /** The model frames go to: the one chosen in settings, else the server's first. */
  get model(): ModelInfo {
    return chosenModel(this.models, this.settings.model)!;
  }
  @state() private listed: readonly ListedDetection[] = [];
  @state() private hasResult = false;
  @state() private figures: LoopFigures | undefined;
  /** The latest word about the history or a snapshot ("Saved", "Storage was full…"). */
  @state() private note = '';

  /** The frame being taught, while the teach editor is open. */
  @state() private teaching:
    | {
        readonly frame: FrozenFrame;
        readonly predictions: readonly Prediction[];
        readonly source: TeachSource;
      }
    | undefined;

  @query('sightline-viewfinder') viewfinder!: SightlineViewfinder;

  readonly camera = new CameraController(
    this,
    () => this.cameraRequest(),
    () => this.kiosk,
  );
  readonly detection = new DetectionController(this, {
    viewfinder: () => this.viewfinder,
    options: () => this.settings,
    model: () => this.model,
    budget: () => this.budget,
    onListed: (items) => {
      this.listed = items;
      this.hasResult = true;
    },
    // Also re-renders the banner's "resuming in N s" countdown twice a second.
    onFigures: (figures) => {
      this.figures = figures;
    },
    onHistoryNote: (message) => {
      this.note = message;
    },
  });
  /** Frames worth teaching go to the review queue when the person turned it on (never in a kiosk). */
  readonly review = new ReviewController(this, {
    latest: () => this.detection.latestResult,
    video: () => this.viewfinder?.video,
    active: () => !this.kiosk && this.teach !== undefined,
  });

  readonly kioskDuties = new KioskController(this, {
    enabled: () => this.kiosk,
    options: () => kioskOptionsFromUrl(location.search),
    loopRunning: () => this.camera.state.kind === 'live' && this.detection.status.state === LoopState.Running,
    lastResultAt: () => this.detection.lastResultAt,
    restartLoop: () => this.detection.restart(),
    cameraGaveUp: () => this.camera.state.kind === 'failed' && this.camera.state.retryAt === undefined,
    restartCamera: () => void this.camera.start(),
  });

  private cameraRequest() {
    const { deviceId, facing, width, height } = this.settings;
    return {
      deviceId,
      facing: facing ?? (isProbablyPhone() ? 'environment' : undefined),
      width,
      height,
    } as const;
  }

  /** Whether the server is giving no answers now (so what is in view is unknown). */
  get waitingForServer(): boolean {
    const { state } = this.detection.status;
    return (
      this.camera.state.kind === 'live' &&
      (state === LoopState.Offline || state === LoopState.Error || state === LoopState.RateLimited)
    );
  }

  /** A user-facing camera's preview is mirrored, unless the user said otherwise. */
  get mirrored(): boolean {
    return this.settings.mirror ?? this.camera.facing === 'user';
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has('settings')) saveSettings(this.settings);
    // Loaded ahead of the first tap, so Teach opens at once; never loaded for a device that cannot teach.
    if (changed.has('teach') && this.teach && !this.kiosk) void loadTeachEditor();
    // Paused while the teach editor covers the view: nobody sees its boxes, and the frames would spend the
    // prediction budget and the main thread the editor's gestures need.
    this.detection.sync(this.camera.state.kind === 'live' && this.teaching === undefined);
  }

  private readonly onSettingsChange = (event: SightlineEvent<'sl-settings-change'>): void => {
    const before = this.settings;
    this.settings = { ...before, ...event.detail };
    const reopen = ['deviceId', 'width', 'height'].some((key) => key in event.detail);
    if (reopen) void this.camera.reopen(() => this.cameraRequest());
  };

  /** Escape closes the settings, as it would a dialog, and leaves the focus on their summary. */
  private readonly onSettingsKey = (event: KeyboardEvent): void => {
    const details = event.currentTarget as HTMLDetailsElement;
    if (event.key !== 'Escape' || !details.open) return;
    event.stopPropagation();
    details.open = false;
    details.querySelector('summary')?.focus();
  };

  private readonly onSnapshot = (): void => {
    this.note = 'Saving a snapshot…';
    this.detection.snapshot().then(
      () => (this.note = 'Snapshot saved to history.'),
      (error: unknown) =>
        (this.note = `No snapshot: ${error instanceof Error ? error.message : String(error)}`),
    );
  };

  /**
   * Opens the editor with the model's boxes on the frame they belong to: the frame the server stored, when
   * it stored a recent one (promoted by its id, not uploaded again), otherwise the camera's frame frozen now
   * at its full resolution.
   */
  private readonly onTeach = async (): Promise<void> => {
    const video = this.viewfinder?.video;
    if (!video) return;
    const latest = this.detection.latestResult;
    const stored =
      latest?.storedFrame !== undefined && performance.now() - latest.capturedAt <= STORED_FRAME_FRESH_MS
        ? { frame: latest.storedFrame, predictionId: latest.predictionId }
        : undefined;
    try {
      const [frame] = await Promise.all([
        stored ? freezeStoredFrame(stored.frame) : freezeFrame(video),
        loadTeachEditor(),
      ]);
      this.teaching = {
        frame,
        predictions: latest?.predictions ?? [],
        source: stored ? { kind: 'stored-prediction', predictionId: stored.predictionId } : { kind: 'frame' },
      };
    } catch (error) {
      this.note = error instanceof Error ? error.message : String(error);
    }
  };

  private readonly onTeachDone = (): void => {
    this.teaching?.frame.picture.close();
    this.teaching = undefined;
  };

  private readonly onFlip = (): void => {
    const next = this.camera.facing === 'user' ? 'environment' : 'user';
    this.settings = { ...this.settings, facing: next, deviceId: undefined };
    void this.camera.reopen(() => this.cameraRequest());
  };

  protected override render() {
    const camera = this.camera.state;
    const loop = this.detection.status;
    return html`
      <div class="stage" part="stage">
        <sightline-viewfinder
          .stream=${camera.kind === 'live' ? camera.stream : undefined}
          fit=${this.settings.fit}
          ?mirrored=${this.mirrored}
          ?wall-labels=${this.kiosk}
        ></sightline-viewfinder>
        ${this.settings.showHud ? html`<sightline-hud .figures=${this.figures} state=${loop.state}></sightline-hud>` : nothing}
        ${this.renderBanner()}
      </div>
      ${this.kiosk ? this.renderKioskState() : this.renderControls()}
    `;
  }

  /** What a kiosk shows besides the picture: the detections, large, and its self-healing state for tools. */
  private renderKioskState() {
    return html`<div
      class="kiosk-status"
      data-testid="kiosk-state"
      data-wake-lock=${this.kioskDuties.wakeLockHeld ? 'held' : 'released'}
      data-restarts=${this.kioskDuties.restarts}
      data-camera-restarts=${this.camera.restarts}
    >
      <sightline-detection-list
        .items=${this.listed}
        mode=${this.model.type}
        ?hasResult=${this.hasResult}
        ?waiting=${this.waitingForServer}
        .lastAnswerAt=${this.detection.lastAnswerAt}
      ></sightline-detection-list>
    </div>`;
  }

  private renderControls() {
    const camera = this.camera.state;
    return html`
      <div class="actions">
        <sightline-detection-list
          .items=${this.listed}
          mode=${this.model.type}
          ?hasResult=${this.hasResult}
          ?waiting=${this.waitingForServer}
          .lastAnswerAt=${this.detection.lastAnswerAt}
        ></sightline-detection-list>
        <button
          type="button"
          data-testid="snapshot"
          ?disabled=${camera.kind !== 'live'}
          @click=${this.onSnapshot}
        >
          Snapshot
        </button>
        ${
          this.teach
            ? html`<button
                type="button"
                data-testid="teach"
                ?disabled=${camera.kind !== 'live'}
                @click=${() => void this.onTeach()}
              >
                Teach
              </button>`
            : nothing
        }
      </div>
      ${this.renderTeachEditor()}
      <p class="note" role="status" aria-live="polite" data-testid="history-note">${this.note}</p>
      <details @keydown=${this.onSettingsKey}>
        <summary>Settings</summary>
        <sightline-settings
          .settings=${this.settings}
          .cameras=${this.camera.cameras}
          .tags=${this.model.tags ?? []}
          .models=${this.models}
          .currentModel=${modelKey(this.model)}
          .currentDeviceId=${this.camera.track?.getSettings().deviceId}
          ?torchSupported=${this.camera.torchSupported}
          ?torchOn=${this.camera.torchOn}
          ?canStore=${this.model.source === 'custom-vision'}
          @sl-settings-change=${this.onSettingsChange}
          @sl-camera-flip=${this.onFlip}
          @sl-torch-toggle=${() => void this.camera.toggleTorch()}
        ></sightline-settings>
      </details>
    `;
  }

  private renderTeachEditor() {
    const teaching = this.teaching;
    if (!teaching || !this.teach) return nothing;
    return html`<sightline-teach-editor
      .frame=${teaching.frame}
      .predictions=${teaching.predictions}
      .source=${teaching.source}
      .access=${this.teach}
      ?mirrored=${this.mirrored}
      @sl-teach=${() => {
        this.note = 'Taught: the picture is in the outbox.';
        this.onTeachDone();
      }}
      @sl-teach-cancel=${this.onTeachDone}
    ></sightline-teach-editor>`;
  }

  /** One line saying what is wrong and what happens next, over the preview. */
  private renderBanner() {
    const camera = this.camera.state;
    if (camera.kind === 'failed') {
      const { failure } = camera;
      if (this.kiosk) {
        // Nobody at a kiosk can press anything: say what an operator must do, and that it retries.
        return html`<p class="banner" role="alert" data-testid="banner">
          ${failure.operatorMessage} This screen tries again by itself.
        </p>`;
      }
      return html`<p class="banner" role="alert" data-testid="banner">
        ${failure.message}
        ${
          failure.offersRetry
            ? html`<button type="button" data-testid="camera-retry" @click=${() => void this.camera.start()}>
                Retry
              </button>`
            : nothing
        }
      </p>`;
    }
    const loop = this.detection.status;
    const seconds =
      loop.resumeAt === undefined
        ? undefined
        : Math.max(1, Math.ceil((loop.resumeAt - performance.now()) / 1000));
    const resuming = seconds === undefined ? '' : `, resuming in ${seconds} s`;
    switch (loop.state) {
      case 'rate-limited':
        return html`<p class="banner" data-testid="banner">Rate-limited by the server${resuming}.</p>`;
      case 'offline':
        return html`<p class="banner" data-testid="banner">
          Server unreachable${resuming}. ${loop.message ?? ''}
        </p>`;
      case 'error':
        return html`<p class="banner" data-testid="banner">
          Predictions failing${resuming}: ${loop.message ?? 'unknown error'}
          ${
            // What the message asks for, offered (a kiosk's operator pairs it from another device).
            loop.needsPairing && !this.kiosk
              ? html`<a class="button" data-testid="pair-link" href="#pair">Pair this device</a>`
              : nothing
          }
        </p>`;
      default:
        return this.renderStartup();
    }
  }

  /**
   * Until the first answer, the steps on the way to it, so the seconds before the first box are visibly
   * spent: the camera opening, the model warming up on the server, the first frame's answer.
   */
  private renderStartup() {
    if (this.hasResult) return nothing;
    const cameraOn = this.camera.state.kind === 'live';
    const stage = !cameraOn ? 'camera' : !this.modelReady ? 'model' : 'answer';
    const steps = [
      { id: 'camera', label: 'Camera', doing: 'Starting the camera…' },
      { id: 'model', label: 'Model', doing: 'The model is warming up on the server…' },
      { id: 'answer', label: 'First answer', doing: 'Waiting for the first answer…' },
    ] as const;
    const current = steps.findIndex((step) => step.id === stage);
    return html`<div class="banner startup" data-testid="startup" data-stage=${stage}>
      <p class="startup-now" role="status">${steps[current]!.doing}</p>
      <ol aria-hidden="true">
        ${steps.map(
          (step, i) =>
            html`<li class=${i < current ? 'done' : i === current ? 'doing' : 'todo'}>${step.label}</li>`,
        )}
      </ol>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'sightline-live': SightlineLive;
  }
}
