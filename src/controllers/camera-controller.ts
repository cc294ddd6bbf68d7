// Binds a camera stream to an element's lifecycle: opens it when connected and visible, stops every
// track when hidden or disconnected, lists cameras once permission is granted, and restarts a camera
// whose track ended (unplugged, taken by another app) with backoff.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { CAMERA_ENDED, describeCameraError, type CameraFailure } from '../camera/camera-errors.ts';
import {
  facingOf,
  isIosStandalone,
  listCameras,
  openCamera,
  stopStream,
  supportsTorch,
  setTorch,
  type CameraInfo,
  type CameraRequest,
} from '../camera/camera.ts';

export type CameraState =
  | { readonly kind: 'idle' }
  | { readonly kind: 'starting' }
  | { readonly kind: 'live'; readonly stream: MediaStream }
  | { readonly kind: 'failed'; readonly failure: CameraFailure; readonly retryAt?: number };

const RESTART_DELAYS_MS = [1_000, 2_000, 5_000, 10_000, 30_000];

export class CameraController implements ReactiveController {
  state: CameraState = { kind: 'idle' };
  cameras: CameraInfo[] = [];
  torchOn = false;
  /** How many times the camera was restarted by itself since the page loaded (kiosks report it). */
  restarts = 0;
  private generation = 0;
  private restartTimer: ReturnType<typeof setTimeout> | undefined;
  private failuresInARow = 0;
  private connected = false;

  constructor(
    private readonly host: ReactiveControllerHost,
    private request: () => CameraRequest,
    /**
     * Whether every failure is retried by itself, even one a person would fix (a refused permission): a
     * kiosk has nobody to press Retry, and an operator fixing it should see the picture come back.
     */
    private readonly alwaysRetry: () => boolean = () => false,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    this.connected = true;
    document.addEventListener('visibilitychange', this.onVisibility);
    if (document.visibilityState === 'visible') void this.start();
  }

  hostDisconnected(): void {
    this.connected = false;
    document.removeEventListener('visibilitychange', this.onVisibility);
    this.close({ kind: 'idle' });
  }

  get track(): MediaStreamTrack | undefined {
    return this.state.kind === 'live' ? this.state.stream.getVideoTracks()[0] : undefined;
  }

  get facing() {
    return facingOf(this.track);
  }

  get torchSupported(): boolean {
    return supportsTorch(this.track);
  }

  /** (Re)opens the camera with the current request; any open stream is stopped first. */
  async start(): Promise<void> {
    if (!this.connected) return;
    const generation = this.close({ kind: 'starting' });
    try {
      const stream = await openCamera(this.request());
      if (generation !== this.generation || !this.connected) {
        stopStream(stream); // superseded while opening
        return;
      }
      this.failuresInARow = 0;
      this.torchOn = false;
      const track = stream.getVideoTracks()[0];
      track?.addEventListener('ended', () => this.onEnded(generation), { once: true });
      this.state = { kind: 'live', stream };
      this.host.requestUpdate();
      this.cameras = await listCameras().catch(() => []);
      this.host.requestUpdate();
    } catch (error) {
      if (generation !== this.generation) return;
      const failure = describeCameraError(error, {
        isSecureContext: window.isSecureContext,
        hasMediaDevices: typeof navigator.mediaDevices?.getUserMedia === 'function',
        isIosStandalone: isIosStandalone(),
      });
      this.fail(failure, generation);
    }
  }

  /** Changes what is asked for (another camera, front/back, resolution) and reopens. */
  async reopen(request: () => CameraRequest): Promise<void> {
    this.request = request;
    await this.start();
  }

  async toggleTorch(): Promise<void> {
    const track = this.track;
    if (!track || !this.torchSupported) return;
    await setTorch(track, !this.torchOn);
    this.torchOn = !this.torchOn;
    this.host.requestUpdate();
  }

  private readonly onVisibility = (): void => {
    // A hidden page gives the camera back (battery, other apps); it reopens when shown again.
    if (document.visibilityState === 'hidden') this.close({ kind: 'idle' });
    else if (this.state.kind === 'idle') void this.start();
  };

  private onEnded(generation: number): void {
    if (generation !== this.generation) return;
    this.fail(CAMERA_ENDED, generation);
  }

  private fail(failure: CameraFailure, generation: number): void {
    this.close({ kind: 'failed', failure }, false);
    if (!failure.retryable && !this.alwaysRetry()) return;
    const delay = RESTART_DELAYS_MS[Math.min(this.failuresInARow, RESTART_DELAYS_MS.length - 1)]!;
    this.failuresInARow++;
    this.state = { kind: 'failed', failure, retryAt: Date.now() + delay };
    this.host.requestUpdate();
    this.restartTimer = setTimeout(() => {
      if (generation !== this.generation) return;
      this.restarts++;
      void this.start();
    }, delay);
  }

  /** Stops the stream and any pending restart; returns the new generation. */
  private close(next: CameraState, bump = true): number {
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    if (this.state.kind === 'live') stopStream(this.state.stream);
    if (bump) this.generation++;
    this.state = next;
    this.host.requestUpdate();
    return this.generation;
  }
}
