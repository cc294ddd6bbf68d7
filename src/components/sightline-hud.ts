import { LitElement, css, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { LoopFigures } from '../pipeline/loop-stats.ts';
import type { LoopState } from '../pipeline/frame-scheduler.ts';

const ms = (value: number | undefined) => (value === undefined ? '–' : `${Math.round(value)} ms`);
const rate = (value: number) => `${value.toFixed(1)}/s`;
const kb = (value: number | undefined) => (value === undefined ? '–' : `${(value / 1024).toFixed(1)} KB`);

/**
 * The status readout: frames sent and results per second, capture-to-box latency (median and p95 over the
 * last seconds), bytes per frame and the loop's state. Presentational: the live view hands it figures.
 *
 * @csspart table - the figures
 */
@customElement('sightline-hud')
export class SightlineHud extends LitElement {
  static override styles = css`
    :host {
      display: block;
      font:
        12px/1.4 ui-monospace,
        'SF Mono',
        Menlo,
        Consolas,
        monospace;
      color: #fff;
      background: rgb(0 0 0 / 0.62);
      border-radius: 8px;
      padding: 6px 10px;
    }
    dl {
      display: grid;
      grid-template-columns: auto auto;
      gap: 0 12px;
      margin: 0;
    }
    dt {
      opacity: 0.75;
    }
    dd {
      margin: 0;
      text-align: right;
      font-variant-numeric: tabular-nums;
    }
  `;

  @property({ attribute: false }) figures: LoopFigures | undefined;
  @property() state: LoopState = 'idle';

  protected override render() {
    const f = this.figures;
    return html`
      <dl part="table" aria-label="Detection loop figures">
        <dt>state</dt>
        <dd data-testid="hud-state">${this.state}</dd>
        <dt>sent</dt>
        <dd>${f ? rate(f.sentPerSecond) : '–'}</dd>
        <dt>results</dt>
        <dd>${f ? rate(f.resultsPerSecond) : '–'}</dd>
        <dt>latency p50</dt>
        <dd>${ms(f?.latencyMedianMs)}</dd>
        <dt>latency p95</dt>
        <dd>${ms(f?.latencyP95Ms)}</dd>
        <dt>frame</dt>
        <dd>${kb(f?.bytesPerFrame)}</dd>
        ${
          f?.inference
            ? html`<dt>model</dt>
                <dd data-testid="hud-backend">${f.inference.backend}</dd>
                <dt>inference</dt>
                <dd data-testid="hud-inference">${ms(f.inference.inferenceMs)}</dd>`
            : ''
        }
      </dl>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'sightline-hud': SightlineHud;
  }
}
