import { LitElement, css, html, nothing } from 'lit';
import { emit } from './events.ts';
import { customElement, property } from 'lit/decorators.js';
import type { Settings } from '../settings/settings.ts';
import { modelKey, type ModelInfo } from '../api/server-info.ts';
import type { CameraInfo } from '../camera/camera.ts';

const RESOLUTIONS = [
  [640, 480],
  [1280, 720],
  [1920, 1080],
] as const;

/**
 * The live view's controls: camera, resolution, torch, threshold, tag filter and display options. Every
 * control is a native, labelled form control, so it works from the keyboard with a visible focus.
 *
 * @fires sl-settings-change - the user changed a setting (detail: Partial<Settings>)
 * @fires sl-camera-flip - switch between the front and back camera
 * @fires sl-torch-toggle - turn the torch on or off
 */
@customElement('sightline-settings')
export class SightlineSettings extends LitElement {
  static override styles = css`
    :host {
      display: block;
    }
    form {
      display: grid;
      /* min(): a phone narrower than two columns gets one, never a column wider than the screen. */
      grid-template-columns: repeat(auto-fill, minmax(min(15rem, 100%), 1fr));
      gap: 12px 16px;
      align-items: end;
    }
    label {
      display: grid;
      gap: 4px;
      font-size: 0.85rem;
      min-width: 0;
    }
    label.inline {
      display: flex;
      align-items: center;
      gap: 8px;
      min-height: 2.75rem;
    }
    label.inline input {
      width: 1.5rem;
      height: 1.5rem;
      min-height: 0;
      margin: 0;
    }
    /* A camera's label can be very long: the select shrinks to its column and the label is cut. */
    select {
      width: 100%;
      min-width: 0;
      max-width: 100%;
      text-overflow: ellipsis;
    }
    input,
    select,
    button {
      font: inherit;
      min-height: 2.75rem;
    }
    :focus-visible {
      outline: 3px solid #4c9ffe;
      outline-offset: 2px;
    }
    .row {
      display: flex;
      gap: 8px;
      flex-wrap: wrap;
    }
  `;

  @property({ attribute: false }) settings!: Settings;
  @property({ attribute: false }) cameras: readonly CameraInfo[] = [];
  @property({ attribute: false }) tags: readonly string[] = [];
  @property({ type: Boolean }) torchSupported = false;
  @property({ type: Boolean }) torchOn = false;
  /** Offer storing frames only where it means something: a Custom Vision project. */
  @property({ type: Boolean }) canStore = false;
  @property({ attribute: false }) currentDeviceId: string | undefined;
  /** The server's models: a choice is offered when there are several. */
  @property({ attribute: false }) models: readonly ModelInfo[] = [];
  /** The model in use now (its modelKey): the chosen one, or the server's first. */
  @property({ attribute: false }) currentModel: string | undefined;

  private change(partial: Partial<Settings>): void {
    emit(this, 'sl-settings-change', partial);
  }

  /** One option per served model, by its name and published name (two exports may share a summary). */
  private renderModelChoice() {
    return html`<label
      >Model
      <select
        data-testid="model-select"
        @change=${(e: Event) => this.change({ model: (e.target as HTMLSelectElement).value })}
      >
        ${this.models.map((model) => {
          const key = modelKey(model);
          return html`<option value=${key} ?selected=${key === this.currentModel}>
            ${model.publishedName} · ${model.name}
          </option>`;
        })}
      </select>
    </label>`;
  }

  protected override render() {
    const s = this.settings;
    const resolution = `${s.width}x${s.height}`;
    const mirror = s.mirror === undefined ? 'auto' : s.mirror ? 'on' : 'off';
    return html`<form @submit=${(e: Event) => e.preventDefault()}>
      <label
        >Camera
        <select
          data-testid="camera-select"
          @change=${(e: Event) => this.change({ deviceId: (e.target as HTMLSelectElement).value || undefined })}
        >
          ${this.cameras.length === 0 ? html`<option value="">Default camera</option>` : nothing}
          ${this.cameras.map(
            (camera) =>
              html`<option
                value=${camera.deviceId}
                ?selected=${camera.deviceId === (s.deviceId ?? this.currentDeviceId)}
              >
                ${camera.label}
              </option>`,
          )}
        </select>
      </label>
      <div class="row">
        <button type="button" @click=${() => emit(this, 'sl-camera-flip')}>Switch front/back</button>
        ${
          this.torchSupported
            ? html`<button
                type="button"
                aria-pressed=${this.torchOn}
                @click=${() => emit(this, 'sl-torch-toggle')}
              >
                Torch ${this.torchOn ? 'off' : 'on'}
              </button>`
            : nothing
        }
      </div>
      <label
        >Resolution
        <select
          @change=${(e: Event) => {
            const [width, height] = (e.target as HTMLSelectElement).value.split('x').map(Number);
            this.change({ width: width!, height: height! });
          }}
        >
          ${RESOLUTIONS.map(([w, h]) => html`<option value="${w}x${h}" ?selected=${resolution === `${w}x${h}`}>${w}×${h}</option>`)}
        </select>
      </label>
      <label
        >Confidence threshold: ${Math.round(s.threshold * 100)}%
        <input
          type="range"
          min="0"
          max="100"
          step="1"
          data-testid="threshold"
          .value=${String(Math.round(s.threshold * 100))}
          @input=${(e: Event) => this.change({ threshold: Number((e.target as HTMLInputElement).value) / 100 })}
        />
      </label>
      <label
        >Show only these tags (comma-separated; empty shows all)
        <input
          type="text"
          list="known-tags"
          data-testid="tag-filter"
          .value=${s.tagFilter.join(', ')}
          @change=${(e: Event) =>
            this.change({
              tagFilter: (e.target as HTMLInputElement).value
                .split(',')
                .map((t) => t.trim())
                .filter(Boolean),
            })}
        />
        <datalist id="known-tags">${this.tags.map((tag) => html`<option value=${tag}></option>`)}</datalist>
      </label>
      ${this.models.length > 1 ? this.renderModelChoice() : nothing}
      <label
        >Run the model
        <select
          data-testid="mode-select"
          @change=${(e: Event) =>
            this.change({
              inferenceMode: (e.target as HTMLSelectElement).value as Settings['inferenceMode'],
            })}
        >
          <option value="cloud" ?selected=${s.inferenceMode === 'cloud'}>On the server</option>
          <option value="device" ?selected=${s.inferenceMode === 'device'}>
            On this device (works offline)
          </option>
          <option value="auto" ?selected=${s.inferenceMode === 'auto'}>
            On the server, on this device when it is gone
          </option>
        </select>
      </label>
      <label
        >Fit
        <select
          @change=${(e: Event) => this.change({ fit: (e.target as HTMLSelectElement).value as Settings['fit'] })}
        >
          <option value="cover" ?selected=${s.fit === 'cover'}>Fill the screen (crop)</option>
          <option value="contain" ?selected=${s.fit === 'contain'}>Whole picture (letterbox)</option>
        </select>
      </label>
      <label
        >Mirror preview
        <select
          @change=${(e: Event) => {
            const value = (e.target as HTMLSelectElement).value;
            this.change({ mirror: value === 'auto' ? undefined : value === 'on' });
          }}
        >
          <option value="auto" ?selected=${mirror === 'auto'}>Automatic (front camera)</option>
          <option value="on" ?selected=${mirror === 'on'}>On</option>
          <option value="off" ?selected=${mirror === 'off'}>Off</option>
        </select>
      </label>
      <label
        >Frames per second, at most (0: as the server allows)
        <input
          type="number"
          min="0"
          max="30"
          step="1"
          .value=${String(s.fpsCap)}
          @change=${(e: Event) => this.change({ fpsCap: Math.max(0, Math.min(30, Number((e.target as HTMLInputElement).value) || 0)) })}
        />
      </label>
      <label class="inline"
        ><input
          type="checkbox"
          .checked=${s.smoothing}
          @change=${(e: Event) => this.change({ smoothing: (e.target as HTMLInputElement).checked })}
        />
        Steady boxes (hold and fade)</label
      >
      <label class="inline"
        ><input
          type="checkbox"
          .checked=${s.showHud}
          @change=${(e: Event) => this.change({ showHud: (e.target as HTMLInputElement).checked })}
        />
        Show status figures</label
      >
      <label class="inline"
        ><input
          type="checkbox"
          .checked=${s.historyEnabled}
          @change=${(e: Event) => this.change({ historyEnabled: (e.target as HTMLInputElement).checked })}
        />
        Keep detections in the history</label
      >
      <label
        >While the same things stay in view, record again every (seconds; 0: only on changes)
        <input
          type="number"
          min="0"
          max="3600"
          step="1"
          .value=${String(Math.round(s.historyIntervalMs / 1000))}
          @change=${(e: Event) =>
            this.change({
              historyIntervalMs:
                Math.max(0, Math.min(3600, Number((e.target as HTMLInputElement).value) || 0)) * 1000,
            })}
        />
      </label>
      ${
        this.canStore
          ? html`<label class="inline"
              ><input
                type="checkbox"
                .checked=${s.storeFrames}
                @change=${(e: Event) => this.change({ storeFrames: (e.target as HTMLInputElement).checked })}
              />
              Keep frames in Custom Vision for labelling</label
            >`
          : nothing
      }
    </form>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'sightline-settings': SightlineSettings;
  }
}
