import { LitElement, css, html, nothing } from 'lit';
import { focusRing } from './history.styles.ts';
import { emit } from '../events.ts';
import { customElement, property } from 'lit/decorators.js';
import { isFiltered, NO_FILTER, type FilterValue } from '../../history/history-filter.ts';
import { formatBytes, formatCount } from '../../history/history-format.ts';

/** Where the history stands on this device. */
export interface StorageInfo {
  /** Bytes the history's records and pictures take (the store's own count). */
  readonly historyBytes: number;
  /** The browser's estimate for this whole site, and the quota it allows. */
  readonly estimate?: { readonly usage: number; readonly quota: number };
  /** Whether the browser agreed to keep the history when space runs low; undefined while asking. */
  readonly persisted?: boolean;
}

/**
 * The history's filter (tag, time range) with the counts and the storage figures.
 *
 * @fires sl-filter-change - the user changed the filter (detail: FilterValue)
 */
@customElement('sightline-history-toolbar')
export class SightlineHistoryToolbar extends LitElement {
  static override styles = [
    focusRing,
    css`
      :host {
        display: grid;
        gap: 8px;
      }
      form {
        display: flex;
        flex-wrap: wrap;
        gap: 8px 16px;
        align-items: end;
      }
      label {
        display: grid;
        gap: 2px;
        font-size: 0.85rem;
      }
      p {
        margin: 0;
      }
      .muted {
        color: var(--sl-muted, #4b5563);
        font-size: 0.85rem;
      }
    `,
  ];

  @property({ attribute: false }) tags: readonly string[] = [];
  @property({ attribute: false }) filter: FilterValue = NO_FILTER;
  /** Records matching the filter, and in all; undefined while loading. */
  @property({ attribute: false }) matching: number | undefined;
  @property({ attribute: false }) total: number | undefined;
  @property({ attribute: false }) storage: StorageInfo | undefined;

  private change(partial: Partial<FilterValue>): void {
    const detail: FilterValue = { ...this.filter, ...partial };
    emit(this, 'sl-filter-change', detail);
  }

  protected override render() {
    const { filter } = this;
    // A chosen tag stays offered even after its last record is gone, so the select shows the truth.
    const tags = filter.tag && !this.tags.includes(filter.tag) ? [filter.tag, ...this.tags] : this.tags;
    return html`
      <form @submit=${(event: Event) => event.preventDefault()}>
        <label
          >Tag
          <select
            data-testid="history-tag-filter"
            @change=${(event: Event) => this.change({ tag: (event.target as HTMLSelectElement).value })}
          >
            <option value="" ?selected=${filter.tag === ''}>All tags</option>
            ${tags.map((tag) => html`<option value=${tag} ?selected=${tag === filter.tag}>${tag}</option>`)}
          </select>
        </label>
        <label
          >From
          <input
            type="datetime-local"
            data-testid="history-from"
            .value=${filter.from}
            @change=${(event: Event) => this.change({ from: (event.target as HTMLInputElement).value })}
          />
        </label>
        <label
          >To
          <input
            type="datetime-local"
            data-testid="history-to"
            .value=${filter.to}
            @change=${(event: Event) => this.change({ to: (event.target as HTMLInputElement).value })}
          />
        </label>
        <button type="button" ?disabled=${!isFiltered(filter)} @click=${() => this.change(NO_FILTER)}>
          Show all
        </button>
      </form>
      <p data-testid="history-count" role="status" aria-live="polite">${this.countText()}</p>
      ${this.renderStorage()}
    `;
  }

  private countText(): string {
    const { matching, total } = this;
    if (matching === undefined || total === undefined) return 'Loading the history…';
    if (!isFiltered(this.filter)) return formatCount(total, 'record', 'records');
    return `${formatCount(matching, 'record', 'records')} of ${total.toLocaleString()} match the filter`;
  }

  private renderStorage() {
    const storage = this.storage;
    if (!storage) return nothing;
    const estimate = storage.estimate;
    const persisted =
      storage.persisted === undefined
        ? 'asking the browser to keep it…'
        : storage.persisted
          ? 'kept when space runs low (persistent storage granted)'
          : 'the browser may clear it when space runs low (persistent storage not granted)';
    return html`<p class="muted" data-testid="history-storage">
      History:
      ${formatBytes(storage.historyBytes)}${
        estimate
          ? html` · this site uses ${formatBytes(estimate.usage)} of ${formatBytes(estimate.quota)} available`
          : nothing
      }
      · ${persisted}
    </p>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'sightline-history-toolbar': SightlineHistoryToolbar;
  }
}
