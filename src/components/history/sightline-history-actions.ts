import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { focusRing } from './history.styles.ts';
import { customElement, property } from 'lit/decorators.js';
import type { ExportKind } from '../../history/export-format.ts';
import { formatCount } from '../../history/history-format.ts';
import { emit } from '../events.ts';
import './sightline-confirm-button.ts';

/** An export in progress: records done of total. */
export interface ExportState {
  readonly kind: ExportKind;
  readonly done: number;
  readonly total: number;
}

/**
 * What can be done with the records shown: export them (ZIP or CSV, with a progress bar), delete them,
 * or clear the whole history. Deletions ask for confirmation in the page.
 *
 * @fires sl-export-request - export the records shown (detail: {kind: 'zip' | 'csv'})
 * @fires sl-export-cancel - stop the export in progress
 * @fires sl-delete-filtered - the user confirmed deleting the records matching the filter
 * @fires sl-clear-all - the user confirmed deleting every record
 */
@customElement('sightline-history-actions')
export class SightlineHistoryActions extends LitElement {
  static override styles = [
    focusRing,
    css`
      :host {
        display: flex;
        flex-wrap: wrap;
        gap: 8px;
        align-items: center;
      }
      .progress {
        display: flex;
        gap: 8px;
        align-items: center;
        flex-basis: 100%;
      }
      progress {
        flex: 1;
        max-width: 24rem;
      }
    `,
  ];

  /** Records matching the filter, and in all. */
  @property({ type: Number }) matching = 0;
  @property({ type: Number }) total = 0;
  /** Whether a filter narrows the records (then "Delete shown" differs from "Clear all"). */
  @property({ type: Boolean }) filtered = false;
  @property({ attribute: false }) exporting: ExportState | undefined;
  /** A deletion is running: nothing else may start meanwhile. */
  @property({ type: Boolean }) busy = false;

  /**
   * The export asked for from here, while it runs. Its button is disabled meanwhile, which would drop the
   * keyboard focus to the page's start: focus moves to "Cancel export" instead, and back when it ends.
   */
  private focusedExport: ExportKind | undefined;

  private requestExport(kind: ExportKind): void {
    this.focusedExport = kind;
    emit(this, 'sl-export-request', { kind });
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (!changed.has('exporting') || this.focusedExport === undefined) return;
    const started = changed.get('exporting') === undefined && this.exporting !== undefined;
    const ended = changed.get('exporting') !== undefined && this.exporting === undefined;
    const active = document.activeElement;
    // Only where the focus was left by this element (or lost): never taken from elsewhere.
    const ours = this.matches(':focus-within') || active === null || active === document.body;
    if (started && ours) this.renderRoot.querySelector<HTMLButtonElement>('.cancel-export')?.focus();
    if (ended) {
      if (ours)
        this.renderRoot
          .querySelector<HTMLButtonElement>(`[data-testid="export-${this.focusedExport}"]`)
          ?.focus();
      this.focusedExport = undefined;
    }
  }

  protected override render() {
    const idle = !this.exporting && !this.busy;
    const shown = formatCount(this.matching, 'record', 'records');
    return html`
      <button
        type="button"
        data-testid="export-zip"
        ?disabled=${!idle || this.matching === 0}
        @click=${() => this.requestExport('zip')}
      >
        Export ZIP
      </button>
      <button
        type="button"
        data-testid="export-csv"
        ?disabled=${!idle || this.matching === 0}
        @click=${() => this.requestExport('csv')}
      >
        Export CSV
      </button>
      ${
        this.filtered
          ? html`<sightline-confirm-button
              label="Delete ${shown} shown"
              confirmLabel="Confirm: delete ${shown}"
              testid="delete-filtered"
              ?disabled=${!idle || this.matching === 0}
              @sl-confirm=${() => emit(this, 'sl-delete-filtered')}
            ></sightline-confirm-button>`
          : nothing
      }
      <sightline-confirm-button
        label="Clear all"
        confirmLabel="Confirm: delete all ${formatCount(this.total, 'record', 'records')}"
        testid="clear-all"
        ?disabled=${!idle || this.total === 0}
        @sl-confirm=${() => emit(this, 'sl-clear-all')}
      ></sightline-confirm-button>
      ${this.exporting ? this.renderProgress(this.exporting) : nothing}
    `;
  }

  private renderProgress(state: ExportState) {
    return html`<div class="progress" role="status">
      <label for="export-progress"
        >Exporting ${state.kind.toUpperCase()}: ${state.done.toLocaleString()} of
        ${formatCount(state.total, 'record', 'records')}</label
      >
      <progress
        id="export-progress"
        data-testid="export-progress"
        max=${Math.max(1, state.total)}
        .value=${state.done}
      ></progress>
      <button type="button" class="cancel-export" @click=${() => emit(this, 'sl-export-cancel')}>
        Cancel export
      </button>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'sightline-history-actions': SightlineHistoryActions;
  }
}
