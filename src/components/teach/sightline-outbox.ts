import { LitElement, css, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { Outbox } from '../../teach/outbox/outbox.ts';
import { teachPanelStyles } from './teach-panel.styles.ts';
import { OutboxState, type OutboxItem } from '../../teach/outbox/outbox-types.ts';

const STATE_LABEL: Readonly<Record<OutboxState, string>> = {
  queued: 'Waiting',
  uploading: 'Sending',
  done: 'Uploaded',
  failed: 'Failed',
};

function whatWasTaught(item: OutboxItem): string {
  const boxes = item.regions.length;
  const tags = item.tagIds.length;
  const parts = [
    boxes > 0 ? `${boxes} ${boxes === 1 ? 'box' : 'boxes'}` : '',
    tags > 0 ? `${tags} ${tags === 1 ? 'tag' : 'tags'}` : '',
  ].filter(Boolean);
  const from = item.source.kind === 'stored-prediction' ? ' · from a stored prediction' : '';
  return `${parts.join(', ') || 'no boxes or tags'}${from}`;
}

/**
 * The outbox: every taught frame with its thumbnail and where its upload stands. A failed one says why
 * (Custom Vision's status and what to do) and offers Retry and Discard.
 */
@customElement('sightline-outbox')
export class SightlineOutbox extends LitElement {
  static override styles = [
    teachPanelStyles,
    css`
      :host {
        display: block;
      }
      .summary {
        margin: 0 0 0.75rem;
        color: var(--sl-muted);
      }
      ul {
        list-style: none;
        margin: 0;
        padding: 0;
        display: grid;
        gap: 0.5rem;
      }
      li {
        display: grid;
        grid-template-columns: 4.5rem 1fr;
        gap: 0.25rem 0.75rem;
        align-items: start;
        padding: 0.5rem;
        border: 1px solid var(--sl-border);
        border-radius: var(--sl-radius, 0.75rem);
        background: var(--sl-surface);
      }
      img,
      .no-thumbnail {
        width: 4.5rem;
        height: 3.375rem;
        object-fit: cover;
        border-radius: 0.375rem;
        background: var(--sl-border);
        grid-row: span 2;
      }
      .state {
        font-weight: 600;
      }
      li[data-state='done'] .state {
        color: var(--sl-ok);
      }
      li[data-state='failed'] .state {
        color: var(--sl-bad);
      }
      .meta,
      .reason {
        margin: 0;
        font-size: 0.875rem;
      }
      .meta {
        color: var(--sl-muted);
      }
      .actions {
        grid-column: 2;
        display: flex;
        gap: 0.5rem;
      }
    `,
  ];

  @property({ attribute: false }) outbox: Outbox | undefined;

  @state() private items: readonly OutboxItem[] = [];
  #thumbnails = new Map<string, string>();
  #unsubscribe: (() => void) | undefined;
  #reading = false;
  #readAgain = false;

  override connectedCallback(): void {
    super.connectedCallback();
    this.#watch();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    for (const url of this.#thumbnails.values()) URL.revokeObjectURL(url);
    this.#thumbnails.clear();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('outbox') && this.isConnected) this.#watch();
  }

  #watch(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = this.outbox?.subscribe(() => void this.#read());
    void this.#read();
  }

  /** Reads the list again; changes arriving while it reads cause one more read, not one each. */
  async #read(): Promise<void> {
    if (!this.outbox) return;
    if (this.#reading) {
      this.#readAgain = true;
      return;
    }
    this.#reading = true;
    try {
      do {
        this.#readAgain = false;
        // Newest first: what the person just taught is at the top.
        this.items = (await this.outbox.list()).reverse();
      } while (this.#readAgain);
    } catch {
      // The database closed under us (another tab upgraded it); the next change reads again.
    } finally {
      this.#reading = false;
    }
    this.#pruneThumbnails();
  }

  #thumbnail(item: OutboxItem): string | undefined {
    if (!item.thumbnail) return undefined;
    let url = this.#thumbnails.get(item.clientId);
    if (!url) {
      url = URL.createObjectURL(new Blob([item.thumbnail.data], { type: item.thumbnail.type }));
      this.#thumbnails.set(item.clientId, url);
    }
    return url;
  }

  #pruneThumbnails(): void {
    const shown = new Set(this.items.map((item) => item.clientId));
    for (const [clientId, url] of this.#thumbnails) {
      if (!shown.has(clientId)) {
        URL.revokeObjectURL(url);
        this.#thumbnails.delete(clientId);
      }
    }
  }

  override render(): TemplateResult {
    if (!this.outbox) return html`<p class="summary">Opening the outbox…</p>`;
    const waiting = this.items.filter(
      (i) => i.state === OutboxState.queued || i.state === OutboxState.uploading,
    ).length;
    const failed = this.items.filter((i) => i.state === OutboxState.failed).length;
    const pause = this.outbox.uploader.pause;
    return html`
      <p class="summary" role="status" data-testid="outbox-summary">
        ${
          this.items.length === 0
            ? 'Nothing taught yet. Frames you teach wait here until the server has them.'
            : `${waiting} waiting · ${failed} failed · ${this.items.length - waiting - failed} uploaded`
        }
        ${
          pause && waiting > 0
            ? html`<br />${pause.reason === 'unreachable' ? "Can't reach the server" : pause.reason === 'busy' ? 'The server is busy' : 'Not paired'}:
                trying again at ${new Date(pause.until).toLocaleTimeString()}.`
            : nothing
        }
      </p>
      <ul aria-label="Taught frames">
        ${this.items.map((item) => this.#renderItem(item))}
      </ul>
    `;
  }

  #renderItem(item: OutboxItem): TemplateResult {
    const thumbnail = this.#thumbnail(item);
    const when = new Date(item.createdAt).toLocaleString();
    return html`<li data-testid="outbox-item" data-state=${item.state} data-client-id=${item.clientId}>
      ${
        thumbnail
          ? html`<img src=${thumbnail} alt="Taught frame, ${when}" />`
          : html`<span class="no-thumbnail" aria-hidden="true"></span>`
      }
      <div>
        <span class="state">${STATE_LABEL[item.state]}</span>
        <p class="meta">${whatWasTaught(item)} · ${when}</p>
        ${
          item.lastProblem && item.state !== OutboxState.done
            ? html`<p class="reason" data-testid="outbox-reason">
                ${item.lastProblem.code ? html`<code>${item.lastProblem.code}</code>` : nothing}
                ${item.lastProblem.httpStatus ? `(HTTP ${item.lastProblem.httpStatus})` : nothing}
                ${item.lastProblem.message}
              </p>`
            : nothing
        }
      </div>
      ${
        item.state === OutboxState.failed
          ? html`<div class="actions">
              <button type="button" @click=${() => void this.outbox?.retry(item.clientId)}>Retry</button>
              <button type="button" @click=${() => void this.outbox?.discard(item.clientId)}>Discard</button>
            </div>`
          : nothing
      }
    </li>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'sightline-outbox': SightlineOutbox;
  }
}
