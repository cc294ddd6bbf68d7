import { LitElement, css, html, type PropertyValues } from 'lit';
import { focusRing } from './history.styles.ts';
import { emit } from '../events.ts';
import { customElement, property, state } from 'lit/decorators.js';

/** How long the confirmation stays offered before the button goes back to its first state. */
export const CONFIRM_WINDOW_MS = 6_000;

/**
 * A button for destructive actions that asks for confirmation in the page itself: pressed once, it turns
 * into "Cancel" and the confirming button for a few seconds. Never `window.confirm`: a kiosk must not
 * block on a dialog nobody is there to answer. Focus lands on Cancel, so a double press or a repeated
 * Enter does not confirm by accident.
 *
 * @fires confirm - the user confirmed the action
 * @csspart button - the first button, and the confirming one
 */
@customElement('sightline-confirm-button')
export class SightlineConfirmButton extends LitElement {
  static override styles = [
    focusRing,
    css`
      :host {
        display: inline-flex;
        gap: 6px;
      }
      button.danger {
        background: var(--sl-bad, #b91c1c);
        color: #fff;
        border: 1px solid transparent;
        border-radius: 4px;
      }
    `,
  ];

  /** The first button's text, e.g. "Clear all". */
  @property() label = '';
  /** The confirming button's text, e.g. "Confirm: delete 120 records". */
  @property() confirmLabel = 'Confirm';
  @property({ type: Boolean }) disabled = false;
  /** data-testid of the first button; the others get `-confirm` and `-cancel` appended. */
  @property() testid = '';

  @state() private armed = false;
  private timer: ReturnType<typeof setTimeout> | undefined;

  override connectedCallback(): void {
    super.connectedCallback();
    this.addEventListener('keydown', this.onKeyDown);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.removeEventListener('keydown', this.onKeyDown);
    this.disarm();
  }

  /** Escape backs out of the question, as it does of any dialog-like step. */
  private readonly onKeyDown = (event: KeyboardEvent): void => {
    if (event.key !== 'Escape' || !this.armed) return;
    event.stopPropagation();
    this.cancel();
  };

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('disabled') && this.disabled) this.disarm();
  }

  protected override render() {
    if (!this.armed) {
      return html`<button
        type="button"
        part="button"
        data-testid=${this.testid}
        ?disabled=${this.disabled}
        @click=${this.arm}
      >
        ${this.label}
      </button>`;
    }
    return html`<button
        type="button"
        class="cancel"
        data-testid="${this.testid}-cancel"
        @click=${this.cancel}
      >
        Cancel
      </button>
      <button
        type="button"
        part="button"
        class="danger"
        data-testid="${this.testid}-confirm"
        @click=${this.confirm}
      >
        ${this.confirmLabel}
      </button>`;
  }

  private readonly arm = (): void => {
    this.armed = true;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.cancel(), CONFIRM_WINDOW_MS);
    void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLButtonElement>('.cancel')?.focus());
  };

  private readonly cancel = (): void => {
    const hadFocus = this.matches(':focus-within');
    this.disarm();
    if (hadFocus) void this.updateComplete.then(() => this.renderRoot.querySelector('button')?.focus());
  };

  private readonly confirm = (): void => {
    this.disarm();
    emit(this, 'sl-confirm');
  };

  private disarm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.armed = false;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'sightline-confirm-button': SightlineConfirmButton;
  }
}
