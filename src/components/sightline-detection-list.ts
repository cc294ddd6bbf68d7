import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { ListedDetection } from '../controllers/detection-controller.ts';
import { formatPercent } from '../overlay/draw.ts';
import { tagColor } from '../overlay/tag-colors.ts';

/** "12 s", "3 min": how long ago, at a glance. */
function formatAge(seconds: number): string {
  return seconds < 120 ? `${seconds} s` : `${Math.round(seconds / 60)} min`;
}

/**
 * What is in view, as text. For object detection, a screen-reader status ("person 87%, cup 45%") that the
 * live view updates at most about once a second; for classification, the top tags with probability bars.
 *
 * @csspart status - the role="status" region
 */
@customElement('sightline-detection-list')
export class SightlineDetectionList extends LitElement {
  static override styles = css`
    :host {
      display: block;
    }
    .status {
      margin: 0;
      /* A kiosk sets this to its own (much larger) size: a fixed rem here would win over it. */
      font-size: var(--sl-detections-font-size, 0.95rem);
    }
    ol {
      list-style: none;
      margin: 0;
      padding: 0;
      display: grid;
      gap: 6px;
    }
    li {
      display: grid;
      grid-template-columns: minmax(6rem, auto) 1fr 3.5rem;
      align-items: center;
      gap: 8px;
    }
    .bar {
      height: 10px;
      border-radius: 5px;
      background: rgb(127 127 127 / 0.25);
      overflow: hidden;
    }
    .bar > span {
      display: block;
      height: 100%;
    }
    .visually-hidden {
      position: absolute;
      width: 1px;
      height: 1px;
      overflow: hidden;
      clip-path: inset(50%);
      white-space: nowrap;
    }
    .value {
      text-align: right;
      font-variant-numeric: tabular-nums;
    }
  `;

  @property({ attribute: false }) items: readonly ListedDetection[] = [];
  /** 'classify' shows bars for the top tags; 'detect' shows the boxes' labels as a sentence. */
  @property() mode: 'detect' | 'classify' = 'detect';
  /** False before the first result, so the region does not announce "nothing" at start-up. */
  @property({ type: Boolean }) hasResult = false;
  /**
   * True while the server gives no answers (unreachable, failing, or asking to wait): then what is in view
   * is unknown, and saying "Nothing detected" would be false.
   */
  @property({ type: Boolean }) waiting = false;
  /** When the last answer came (epoch ms), if one did. */
  @property({ attribute: false }) lastAnswerAt: number | undefined;

  protected override render() {
    if (this.waiting) return this.renderWaiting();
    const text = this.items.length
      ? this.items.map((item) => `${item.tagName} ${formatPercent(item.probability)}`).join(', ')
      : this.hasResult
        ? 'Nothing detected'
        : '';
    return html`
      <p class="status" part="status" role="status" aria-live="polite" data-testid="detections">${text}</p>
      ${this.mode === 'classify' && this.items.length ? this.renderBars() : nothing}
    `;
  }

  /**
   * The live region names the clock time of the last answer, which does not change while waiting, so a
   * screen reader announces the wait once; the "N s ago" beside it, for the eyes, changes every second.
   */
  private renderWaiting() {
    const at = this.lastAnswerAt;
    const spoken =
      at === undefined
        ? 'Waiting for the server: no answer yet.'
        : `Waiting for the server: no answer since ${new Date(at).toLocaleTimeString()}.`;
    const seconds = at === undefined ? undefined : Math.max(0, Math.round((Date.now() - at) / 1000));
    const shown =
      seconds === undefined
        ? 'Waiting for the server…'
        : `Waiting for the server · last answer ${formatAge(seconds)} ago`;
    return html`<p
      class="status"
      part="status"
      role="status"
      aria-live="polite"
      data-testid="detections"
      data-waiting=""
    >
      <span class="visually-hidden">${spoken}</span><span aria-hidden="true">${shown}</span>
    </p>`;
  }

  private renderBars() {
    return html`<ol aria-hidden="true">
      ${this.items.slice(0, 5).map(
        (item) =>
          html`<li>
            <span>${item.tagName}</span>
            <span class="bar"
              ><span
                style="width: ${Math.round(item.probability * 100)}%; background: ${tagColor(item.tagName)}"
              ></span
            ></span>
            <span class="value">${formatPercent(item.probability)}</span>
          </li>`,
      )}
    </ol>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'sightline-detection-list': SightlineDetectionList;
  }
}
