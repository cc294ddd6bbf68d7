import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { customElement, query, state } from 'lit/decorators.js';
import { pairDevice, tokenFromCode } from '../api/pairing.ts';
import { openCamera, stopStream } from '../camera/camera.ts';

/** The part of the BarcodeDetector API used here (not yet in TypeScript's DOM types). */
interface QrDetector {
  detect(source: HTMLVideoElement): Promise<readonly { readonly rawValue: string }[]>;
}
type QrDetectorConstructor = new (options: { formats: string[] }) => QrDetector;

const SCAN_EVERY_MS = 250;

function barcodeDetector(): QrDetectorConstructor | undefined {
  return (globalThis as { BarcodeDetector?: QrDetectorConstructor }).BarcodeDetector;
}

/**
 * Pairing this browser from inside the app: scan the operator's QR code with the camera (where the
 * browser can read QR codes, with the BarcodeDetector API) or type the device code. Either way the code is
 * sent once to POST /pair, which answers with an HttpOnly cookie, and the app reloads paired.
 */
@customElement('sightline-pair')
export class SightlinePair extends LitElement {
  static override styles = css`
    :host {
      display: block;
    }
    h2 {
      margin: 0 0 0.5rem;
      font-size: 1.25rem;
    }
    p {
      margin: 0 0 1rem;
    }
    .problem {
      color: var(--sl-bad, #b91c1c);
      font-weight: 600;
    }
    video {
      display: block;
      width: 100%;
      max-height: 50vh;
      border-radius: 0.75rem;
      background: #000;
      object-fit: cover;
      margin-bottom: 1rem;
    }
    form {
      display: grid;
      gap: 0.5rem;
    }
    label {
      font-weight: 600;
    }
    input {
      font: inherit;
      font-size: 1.125rem;
      min-height: 3rem;
      padding: 0.5rem 0.75rem;
      border: 1px solid var(--sl-border, #d7dce5);
      border-radius: 0.5rem;
      background: var(--sl-bg, #f4f6fa);
      color: inherit;
    }
    button {
      font: inherit;
      font-weight: 600;
      min-height: 3rem;
      padding: 0.5rem 1rem;
      border-radius: 0.5rem;
      border: 1px solid var(--sl-accent, #0e7490);
      background: transparent;
      color: var(--sl-accent, #0e7490);
      cursor: pointer;
    }
    button.primary {
      background: var(--sl-accent, #0e7490);
      color: var(--sl-surface, #fff);
    }
    .scan {
      width: 100%;
      margin-bottom: 1rem;
    }
    :focus-visible {
      outline: 3px solid var(--sl-accent, #0e7490);
      outline-offset: 2px;
    }
  `;

  @state() private scanning = false;
  @state() private busy = false;
  @state() private problem = '';
  @query('video') private video: HTMLVideoElement | undefined;

  #stream: MediaStream | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #detector: QrDetector | undefined;

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#stopScanning();
  }

  readonly #startScanning = async (): Promise<void> => {
    const Detector = barcodeDetector();
    if (!Detector) return;
    this.problem = '';
    try {
      this.#detector = new Detector({ formats: ['qr_code'] });
      this.#stream = await openCamera({ facing: 'environment', width: 1280, height: 720 });
      this.scanning = true;
    } catch {
      this.#stopScanning();
      this.problem = 'The camera could not start. Allow the camera for this site, or type the code below.';
    }
  };

  protected override updated(changed: PropertyValues): void {
    if (changed.has('scanning') && this.scanning && this.video && this.#stream) {
      this.video.srcObject = this.#stream;
      this.video.play().catch(() => undefined);
      this.#scanSoon();
    }
  }

  #scanSoon(): void {
    this.#timer = setTimeout(() => void this.#scan(), SCAN_EVERY_MS);
  }

  async #scan(): Promise<void> {
    const { video } = this;
    if (!this.scanning || !video || !this.#detector) return;
    const codes = video.readyState >= 2 ? await this.#detector.detect(video).catch(() => []) : [];
    if (!this.scanning) return;
    for (const code of codes) {
      const token = tokenFromCode(code.rawValue);
      if (token) {
        this.#stopScanning();
        await this.#pair(token);
        return;
      }
    }
    this.#scanSoon();
  }

  #stopScanning(): void {
    clearTimeout(this.#timer);
    stopStream(this.#stream);
    this.#stream = undefined;
    this.scanning = false;
  }

  async #pair(token: string): Promise<void> {
    this.busy = true;
    this.problem = '';
    const outcome = await pairDevice(token);
    this.busy = false;
    if (outcome.ok) {
      // Paired: the app starts again, now allowed to ask the server for its model.
      location.assign('/');
      return;
    }
    this.problem = outcome.message;
  }

  readonly #onSubmit = (event: SubmitEvent): void => {
    event.preventDefault();
    const input = (event.target as HTMLFormElement).elements.namedItem('token') as HTMLInputElement;
    const token = input.value.trim();
    if (token) void this.#pair(token);
  };

  protected override render() {
    const canScan = barcodeDetector() !== undefined;
    return html`
      <h2>Pair this device</h2>
      <p>
        This Sightline server is for paired devices. Scan the QR code the operator gave you, or type its
        device code.
      </p>
      ${this.problem ? html`<p class="problem" role="alert">${this.problem}</p>` : nothing}
      ${
        this.scanning
          ? html`<video playsinline muted autoplay aria-label="Camera, looking for a QR code"></video>
              <button type="button" class="scan" @click=${() => this.#stopScanning()}>Stop scanning</button>`
          : canScan
            ? html`<button
                type="button"
                class="scan primary"
                ?disabled=${this.busy}
                @click=${this.#startScanning}
              >
                Scan the QR code
              </button>`
            : html`<p data-testid="no-qr-support">
                This browser cannot read QR codes: type the device code instead.
              </p>`
      }
      <form @submit=${this.#onSubmit}>
        <label for="token">Device code</label>
        <input
          id="token"
          name="token"
          type="password"
          autocomplete="off"
          autocapitalize="off"
          spellcheck="false"
          required
        />
        <button type="submit" ?disabled=${this.busy}>Pair</button>
      </form>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'sightline-pair': SightlinePair;
  }
}
