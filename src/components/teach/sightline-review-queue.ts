import { LitElement, css, html, nothing, type TemplateResult } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { TeachAccess } from '../../teach/editor/teach-access.ts';
import type { FrozenFrame } from '../../teach/editor/teach-frame.ts';
import { describeReason } from '../../teach/review-queue/review-policy.ts';
import { reviewQueue, type ReviewQueue } from '../../teach/review-queue/review-queue.ts';
import type { ReviewItem } from '../../teach/review-queue/review-store.ts';
import { teachPanelStyles } from './teach-panel.styles.ts';

/** The list shows the newest so many; the rest wait their turn (the queue itself keeps up to 200). */
const SHOWN = 30;

/**
 * The review queue (off by default): frames the live view kept because the model was unsure or a tag
 * flipped, each opened in the teach editor with the model's boxes as proposals, so that a right answer is
 * accepted with one tap and a wrong one corrected. Accepted frames go to the outbox; nothing in the queue
 * is uploaded by itself.
 */
@customElement('sightline-review-queue')
export class SightlineReviewQueue extends LitElement {
  static override styles = [
    teachPanelStyles,
    css`
      :host {
        display: block;
      }
      label.toggle {
        display: flex;
        gap: 0.5rem;
        align-items: center;
        min-height: 2.75rem;
      }
      ul {
        list-style: none;
        margin: 0.75rem 0 0;
        padding: 0;
        display: grid;
        gap: 0.5rem;
      }
      li {
        display: flex;
        gap: 0.75rem;
        align-items: center;
        flex-wrap: wrap;
      }
      img {
        width: 4.5rem;
        height: 3.375rem;
        object-fit: cover;
        border-radius: 0.375rem;
      }
      .reason {
        flex: 1 1 12rem;
        margin: 0;
      }
    `,
  ];

  /** What this device may teach with: none, no review (the queue fills only where teaching is allowed). */
  @property({ attribute: false }) access: TeachAccess | undefined;

  @state() private queue: ReviewQueue | undefined;
  @state() private items: readonly ReviewItem[] = [];
  @state() private total = 0;
  @state() private reviewing: { item: ReviewItem; frame: FrozenFrame } | undefined;
  @state() private problem = '';
  #urls = new Map<string, string>();
  #unsubscribe: (() => void) | undefined;

  override connectedCallback(): void {
    super.connectedCallback();
    void reviewQueue().then(
      (queue) => {
        this.queue = queue;
        this.#unsubscribe = queue.subscribe(() => void this.#read());
        void this.#read();
      },
      (error: unknown) => {
        this.problem = `The review queue cannot be opened on this device: ${error instanceof Error ? error.message : String(error)}`;
      },
    );
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#unsubscribe?.();
    for (const url of this.#urls.values()) URL.revokeObjectURL(url);
    this.#urls.clear();
  }

  async #read(): Promise<void> {
    if (!this.queue) return;
    const all = await this.queue.list();
    this.total = all.length;
    this.items = all.slice(-SHOWN).reverse();
    const shown = new Set(this.items.map((item) => item.id));
    for (const [id, url] of this.#urls) {
      if (!shown.has(id)) {
        URL.revokeObjectURL(url);
        this.#urls.delete(id);
      }
    }
  }

  #url(item: ReviewItem): string {
    let url = this.#urls.get(item.id);
    if (!url) {
      url = URL.createObjectURL(new Blob([item.picture.data], { type: item.picture.type }));
      this.#urls.set(item.id, url);
    }
    return url;
  }

  readonly #onToggle = (event: Event): void => {
    if (!this.queue) return;
    const enabled = (event.target as HTMLInputElement).checked;
    this.queue.setSettings({ ...this.queue.settings, enabled });
    this.requestUpdate();
  };

  async #open(item: ReviewItem): Promise<void> {
    await import('./sightline-teach-editor.ts');
    const picture = await createImageBitmap(new Blob([item.picture.data], { type: item.picture.type }));
    this.reviewing = { item, frame: { picture, width: item.width, height: item.height } };
  }

  #closeEditor(): void {
    this.reviewing?.frame.picture.close();
    this.reviewing = undefined;
  }

  override render(): TemplateResult {
    const settings = this.queue?.settings;
    return html`
      <label class="toggle">
        <input
          type="checkbox"
          data-testid="review-enabled"
          .checked=${settings?.enabled ?? false}
          ?disabled=${!this.queue}
          @change=${this.#onToggle}
        />
        Collect frames worth teaching while the camera runs: the model unsure
        (${Math.round((settings?.band.low ?? 0.3) * 100)}-${Math.round((settings?.band.high ?? 0.6) * 100)} %)
        or a tag flipping, at most ${settings?.maxPerHour ?? 20} an hour, kept on this device until you review
        them.
      </label>
      ${this.problem ? html`<p role="alert">${this.problem}</p>` : nothing}
      <p data-testid="review-count">
        ${this.total === 0 ? 'No frames waiting for review.' : `${this.total} waiting for review.`}
      </p>
      <ul aria-label="Frames to review">
        ${this.items.map(
          (item) =>
            html`<li data-testid="review-item">
              <img
                src=${this.#url(item)}
                alt="Collected frame, ${new Date(item.createdAt).toLocaleString()}"
              />
              <p class="reason">${describeReason(item.reason)}</p>
              <button
                type="button"
                ?disabled=${!this.access}
                @click=${() => void this.#open(item)}
                data-testid="review-open"
              >
                Review
              </button>
              <button type="button" @click=${() => void this.queue?.remove(item.id)}>Discard</button>
            </li>`,
        )}
      </ul>
      ${this.#renderEditor()}
    `;
  }

  #renderEditor(): TemplateResult | typeof nothing {
    const reviewing = this.reviewing;
    if (!reviewing || !this.access) return nothing;
    return html`<sightline-teach-editor
      .frame=${reviewing.frame}
      .predictions=${reviewing.item.predictions}
      .source=${reviewing.item.source}
      .access=${this.access}
      confirmLabel="Accept"
      @sl-teach=${() => {
        // The draft bubbles on to the app's outbox; here the frame leaves the queue.
        void this.queue?.remove(reviewing.item.id);
        this.#closeEditor();
      }}
      @sl-teach-cancel=${() => this.#closeEditor()}
    ></sightline-teach-editor>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'sightline-review-queue': SightlineReviewQueue;
  }
}
