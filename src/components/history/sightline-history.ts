import { LitElement, html, nothing } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { HistoryController } from '../../controllers/history-controller.ts';
import type { ExportKind } from '../../history/export-format.ts';
import type { HistoryRecord } from '../../history/history-types.ts';
import { isFiltered, NO_FILTER, toHistoryFilter, type FilterValue } from '../../history/history-filter.ts';
import { formatBytes, formatCount } from '../../history/history-format.ts';
import { historyStyles } from './history.styles.ts';
import type { ExportState } from './sightline-history-actions.ts';
import type { SightlineEvent } from '../events.ts';
import type { SightlineHistoryList } from './sightline-history-list.ts';
import type { StorageInfo } from './sightline-history-toolbar.ts';
import type { TeachAccess } from '../../teach/editor/teach-access.ts';
import './sightline-history-actions.ts';
import './sightline-history-detail.ts';
import './sightline-history-list.ts';
import './sightline-history-toolbar.ts';

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * The history: what the camera saw, when, and where in the frame. A filter (tag, time range), the counts
 * and storage figures, export and delete actions, a virtualised list with thumbnails, and a detail view.
 * Reads the store through a HistoryController; its one property says whether entries can be taught from.
 * Refreshes whenever the controller says
 * the history changed.
 */
@customElement('sightline-history')
export class SightlineHistory extends LitElement {
  static override styles = historyStyles;

  /** What this device may teach with (from the app shell); none: the detail offers no Teach. */
  @property({ attribute: false }) teach: TeachAccess | undefined;

  @state() private filter: FilterValue = NO_FILTER;
  @state() private ids: readonly number[] = [];
  @state() private total: number | undefined;
  @state() private tags: readonly string[] = [];
  @state() private storage: StorageInfo = { historyBytes: 0 };
  @state() private selected: HistoryRecord | undefined;
  @state() private exporting: ExportState | undefined;
  @state() private busy = false;
  @state() private message = '';
  @state() private problem = '';

  @query('sightline-history-list') private list: SightlineHistoryList | undefined;

  private refreshing = false;
  private refreshAgain = false;
  private exportAbort: AbortController | undefined;

  private readonly history = new HistoryController(this, {
    refresh: () => this.refresh(),
    onPersisted: (persisted) => (this.storage = { ...this.storage, persisted }),
  });

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.exportAbort?.abort();
  }

  /** Re-reads ids, tags and counts; calls made while one runs fold into one more run after it. */
  async refresh(): Promise<void> {
    if (this.refreshing) {
      this.refreshAgain = true;
      return;
    }
    this.refreshing = true;
    try {
      do {
        this.refreshAgain = false;
        const filter = this.filter;
        const range = toHistoryFilter(filter);
        const ids = range ? await this.history.keys(range) : [];
        if (filter !== this.filter) {
          this.refreshAgain = true; // changed meanwhile: read again
          continue;
        }
        this.ids = ids;
        // The first screen's records go first: tags and counts are read once the list has asked for them
        // (read alongside the ids, they made the first screen at 10,000 records half again as slow).
        await this.updateComplete;
        await this.list?.updateComplete;
        const [tags, stats] = await Promise.all([this.history.tags(), this.history.stats()]);
        this.tags = tags;
        this.total = stats.count;
        this.storage = { ...this.storage, historyBytes: stats.bytes };
        this.problem = range ? '' : 'The “From” time is after the “To” time: nothing can match.';
      } while (this.refreshAgain && this.isConnected);
    } catch (error) {
      this.problem = `Could not read the history: ${messageOf(error)}`;
    } finally {
      this.refreshing = false;
    }
    const estimate = await this.history.storageEstimate().catch(() => undefined);
    if (estimate) this.storage = { ...this.storage, estimate };
  }

  protected override render() {
    const filtered = isFiltered(this.filter);
    return html`
      <sightline-history-toolbar
        .tags=${this.tags}
        .filter=${this.filter}
        .matching=${this.total === undefined ? undefined : this.ids.length}
        .total=${this.total}
        .storage=${this.storage}
        @sl-filter-change=${this.onFilterChange}
      ></sightline-history-toolbar>
      <sightline-history-actions
        .matching=${this.ids.length}
        .total=${this.total ?? 0}
        ?filtered=${filtered}
        ?busy=${this.busy}
        .exporting=${this.exporting}
        @sl-export-request=${(event: SightlineEvent<'sl-export-request'>) => void this.export(event.detail.kind)}
        @sl-export-cancel=${() => this.exportAbort?.abort()}
        @sl-delete-filtered=${() => void this.deleteRecords(this.ids, 'shown')}
        @sl-clear-all=${() => void this.deleteRecords('all', 'all')}
      ></sightline-history-actions>
      ${this.problem ? html`<p class="problem" role="alert">${this.problem}</p>` : nothing}
      <p role="status" aria-live="polite" data-testid="history-message">${this.message}</p>
      <div class="body ${this.selected ? 'detail-open' : ''}">
        <sightline-history-list
          .ids=${this.ids}
          .source=${this.history.source}
          ?inert=${this.selected !== undefined}
          @sl-open-record=${(event: SightlineEvent<'sl-open-record'>) => void this.openRecord(event.detail.id)}
        ></sightline-history-list>
        ${this.renderEmpty(filtered)}
        ${
          this.selected
            ? html`<sightline-history-detail
                .record=${this.selected}
                .source=${this.history.source}
                .teach=${this.teach}
                @sl-close-detail=${this.closeDetail}
                @sl-delete-record=${(event: SightlineEvent<'sl-delete-record'>) => void this.deleteRecords([event.detail.id], 'one')}
              ></sightline-history-detail>`
            : nothing
        }
      </div>
    `;
  }

  private renderEmpty(filtered: boolean) {
    if (this.total === undefined || this.ids.length > 0) return nothing;
    return html`<p class="empty">
      ${
        this.total === 0
          ? 'Nothing recorded yet. Records appear here while the live view detects something.'
          : filtered
            ? 'No records match the filter.'
            : 'No records.'
      }
    </p>`;
  }

  private readonly onFilterChange = (event: SightlineEvent<'sl-filter-change'>): void => {
    this.filter = event.detail;
    this.list?.scrollToStart();
    void this.refresh();
  };

  private async openRecord(id: number): Promise<void> {
    try {
      this.selected = await this.history.record(id);
      if (!this.selected) this.message = 'That record was deleted meanwhile.';
    } catch (error) {
      this.problem = `Could not read the record: ${messageOf(error)}`;
    }
  }

  private readonly closeDetail = (): void => {
    const id = this.selected?.id;
    this.selected = undefined;
    if (id !== undefined) void this.updateComplete.then(() => this.list?.focusRecord(id));
  };

  /** Deletes records: these ids, or everything; `what` only shapes the message. */
  private async deleteRecords(ids: readonly number[] | 'all', what: 'one' | 'shown' | 'all'): Promise<void> {
    this.busy = true;
    // Deleting from the detail view: focus goes to the row that takes the deleted one's place.
    const index = what === 'one' && ids !== 'all' ? this.ids.indexOf(ids[0]!) : -1;
    try {
      const count = await this.history.delete(ids);
      this.selected = undefined;
      this.message =
        what === 'all' ? 'The history is empty.' : `Deleted ${formatCount(count, 'record', 'records')}.`;
    } catch (error) {
      this.problem = `Could not delete: ${messageOf(error)}`;
    } finally {
      this.busy = false;
    }
    await this.refresh();
    const next = this.ids[Math.min(index, this.ids.length - 1)];
    if (index >= 0 && next !== undefined) this.list?.focusRecord(next);
  }

  private async export(kind: ExportKind): Promise<void> {
    const range = toHistoryFilter(this.filter);
    if (!range || this.exporting) return;
    const abort = new AbortController();
    this.exportAbort = abort;
    this.exporting = { kind, done: 0, total: this.ids.length };
    this.message = '';
    try {
      const onProgress = ({ done, total }: { done: number; total: number }) =>
        (this.exporting = { kind, done, total });
      const bytes = await this.history.export(kind, range, onProgress, abort.signal);
      const total = this.exporting?.total ?? 0;
      this.message = `Exported ${formatCount(total, 'record', 'records')} as ${kind.toUpperCase()} (${formatBytes(bytes)}).`;
    } catch (error) {
      if (abort.signal.aborted) this.message = 'Export cancelled.';
      else this.problem = `Export failed: ${messageOf(error)}`;
    } finally {
      this.exporting = undefined;
      this.exportAbort = undefined;
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'sightline-history': SightlineHistory;
  }
}
