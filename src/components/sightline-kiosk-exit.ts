import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { customElement, query, state } from 'lit/decorators.js';

/** How long a finger (or mouse button) must stay down, without moving away, to ask to leave. */
const HOLD_MS = 2_000;
/** A hold that drifts further than this is a swipe or a drag, not a long-press. */
const HOLD_SLOP_PX = 24;
/** How long the "touch and hold" hint stays after a tap. */
const HINT_MS = 6_000;
/** An exit question nobody answers closes by itself, so a passer-by cannot leave it on the wall. */
const QUESTION_MS = 20_000;

/**
 * The way out of kiosk mode for a person at the screen. Kiosk mode is remembered (a wall screen comes
 * back in it after a power cut), so someone who opened it by mistake (a phone's Kiosk shortcut) needs a
 * way out the screen itself tells them about: any tap shows "Touch and hold to leave kiosk mode"; a
 * 2-second hold (or Escape on a keyboard) asks "Leave kiosk mode?", and only a press of its button
 * leaves. Unanswered, the question closes by itself and the kiosk carries on.
 */
@customElement('sightline-kiosk-exit')
export class SightlineKioskExit extends LitElement {
  static override styles = css`
    .hint {
      position: fixed;
      top: 1rem;
      left: 50%;
      transform: translateX(-50%);
      margin: 0;
      padding: 0.5em 1em;
      border-radius: 999px;
      background: rgb(0 0 0 / 0.8);
      color: #fff;
      font-size: clamp(1rem, min(2.5vw, 3vh), 2.5rem);
      pointer-events: none;
      z-index: 2;
    }
    dialog {
      max-width: min(36rem, 90vw);
      padding: 1.5rem;
      border: none;
      border-radius: 1rem;
      font-size: clamp(1rem, min(2.5vw, 3vh), 2rem);
    }
    dialog::backdrop {
      background: rgb(0 0 0 / 0.6);
    }
    h2 {
      margin: 0 0 0.5em;
      font-size: 1.25em;
    }
    p {
      margin: 0 0 1em;
    }
    .buttons {
      display: flex;
      flex-wrap: wrap;
      gap: 0.75rem;
    }
    button {
      font: inherit;
      min-height: 44px;
      padding: 0.4em 1em;
      border-radius: 0.5rem;
      border: 2px solid #0e7490;
      background: #fff;
      color: #0e7490;
      cursor: pointer;
    }
    button.primary {
      background: #0e7490;
      color: #fff;
    }
    button:focus-visible {
      outline: 3px solid #4c9ffe;
      outline-offset: 2px;
    }
  `;

  @state() private hint = false;
  @state() private asking = false;
  @query('dialog') private dialog!: HTMLDialogElement;

  #holdTimer: ReturnType<typeof setTimeout> | undefined;
  #hintTimer: ReturnType<typeof setTimeout> | undefined;
  #questionTimer: ReturnType<typeof setTimeout> | undefined;
  #holdFrom: { x: number; y: number } | undefined;

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('pointerdown', this.#onDown, true);
    window.addEventListener('pointermove', this.#onMove, true);
    window.addEventListener('pointerup', this.#endHold, true);
    window.addEventListener('pointercancel', this.#endHold, true);
    // On release, not press: the press's own default action would cancel a dialog opened during it.
    window.addEventListener('keyup', this.#onKey);
    // A touch held down opens the browser's context menu, which would cover the question.
    window.addEventListener('contextmenu', this.#onContextMenu);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('pointerdown', this.#onDown, true);
    window.removeEventListener('pointermove', this.#onMove, true);
    window.removeEventListener('pointerup', this.#endHold, true);
    window.removeEventListener('pointercancel', this.#endHold, true);
    window.removeEventListener('keyup', this.#onKey);
    window.removeEventListener('contextmenu', this.#onContextMenu);
    clearTimeout(this.#holdTimer);
    clearTimeout(this.#hintTimer);
    clearTimeout(this.#questionTimer);
  }

  readonly #onDown = (event: PointerEvent): void => {
    if (this.asking) return;
    this.hint = true;
    clearTimeout(this.#hintTimer);
    this.#hintTimer = setTimeout(() => (this.hint = false), HINT_MS);
    this.#holdFrom = { x: event.clientX, y: event.clientY };
    clearTimeout(this.#holdTimer);
    this.#holdTimer = setTimeout(() => this.#ask(), HOLD_MS);
  };

  readonly #onMove = (event: PointerEvent): void => {
    const from = this.#holdFrom;
    if (from && Math.hypot(event.clientX - from.x, event.clientY - from.y) > HOLD_SLOP_PX) this.#endHold();
  };

  readonly #endHold = (): void => {
    clearTimeout(this.#holdTimer);
    this.#holdTimer = undefined;
    this.#holdFrom = undefined;
  };

  readonly #onKey = (event: KeyboardEvent): void => {
    if (event.key === 'Escape' && !this.asking) this.#ask();
  };

  readonly #onContextMenu = (event: Event): void => event.preventDefault();

  #ask(): void {
    this.#endHold();
    this.hint = false;
    this.asking = true;
    clearTimeout(this.#questionTimer);
    this.#questionTimer = setTimeout(() => this.#stay(), QUESTION_MS);
  }

  readonly #stay = (): void => {
    clearTimeout(this.#questionTimer);
    this.asking = false;
  };

  readonly #leave = (): void => {
    // ?kiosk=0 turns kiosk mode off and forgets it on this device (resolveKioskMode).
    location.assign('/?kiosk=0');
  };

  protected override updated(changed: PropertyValues): void {
    if (!changed.has('asking')) return;
    if (this.asking && !this.dialog.open) this.dialog.showModal();
    if (!this.asking && this.dialog.open) this.dialog.close();
  }

  protected override render() {
    return html`
      ${this.hint ? html`<p class="hint" data-testid="kiosk-exit-hint">Touch and hold to leave kiosk mode</p>` : nothing}
      <dialog aria-labelledby="exit-heading" @close=${this.#stay} @cancel=${this.#stay}>
        ${
          this.asking
            ? html`<h2 id="exit-heading">Leave kiosk mode?</h2>
                <p>
                  This screen shows detections with no controls, and comes back that way after a restart.
                  Leave kiosk mode on this device to get the controls back.
                </p>
                <div class="buttons">
                  <button type="button" class="primary" @click=${this.#leave}>Leave kiosk mode</button>
                  <button type="button" @click=${this.#stay}>Stay in kiosk mode</button>
                </div>`
            : nothing
        }
      </dialog>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'sightline-kiosk-exit': SightlineKioskExit;
  }
}
