import { LitElement, css, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { IdleWatch } from '../pwa/idle-watch.ts';
import {
  currentPlatformFacts,
  dismissIosHint,
  isIosHintDismissed,
  needsIosInstallHint,
} from '../pwa/install-hint.ts';
import { pwaLifecycle } from '../pwa/register-sw.ts';

/**
 * What the app, as an installable and updatable PWA, has to tell the user: "A new version is available"
 * with Reload, an Install button when the browser offers installation, and on iOS Safari (which offers
 * none) how to install by hand. In kiosk mode it shows nothing: no one is there to click, so a waiting
 * update is applied by itself once nobody has interacted with the page for `idleMs`.
 *
 * @csspart notice - the update prompt and the iOS hint
 */
@customElement('sightline-pwa-status')
export class SightlinePwaStatus extends LitElement {
  static override styles = css`
    /* Its parts sit in the parent's layout (the header bar) as if they were its own children. */
    :host {
      display: contents;
    }
    .notice {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 0.25rem 0.75rem;
      margin: 0;
      padding: 0.25rem 0.75rem;
      border: 1px solid var(--sl-border, #d7dce5);
      border-radius: 0.5rem;
      background: color-mix(in srgb, var(--sl-accent, #0e7490) 10%, transparent);
      font-size: 0.9375rem;
    }
    button {
      font: inherit;
      min-height: 2.75rem;
      padding: 0.25rem 0.875rem;
      border: 1px solid var(--sl-accent, #0e7490);
      border-radius: 0.5rem;
      background: transparent;
      color: var(--sl-accent, #0e7490);
      cursor: pointer;
    }
    button.primary {
      background: var(--sl-accent, #0e7490);
      color: var(--sl-surface, #fff);
    }
    button:focus-visible {
      outline: 3px solid var(--sl-accent, #0e7490);
      outline-offset: 2px;
    }
    .dismiss {
      min-width: 2.75rem;
      padding: 0;
      border-color: transparent;
    }
  `;

  /** Kiosk mode: no prompts; updates apply by themselves when nobody is interacting. */
  @property({ type: Boolean, reflect: true }) kiosk = false;

  /** How long without pointer or keyboard input counts as nobody interacting (kiosk mode). */
  @property({ type: Number, attribute: 'idle-ms' }) idleMs = 60_000;

  @state() private iosHintDismissed = isIosHintDismissed();

  readonly #idle = new IdleWatch(window);
  readonly #showIosHint = needsIosInstallHint(currentPlatformFacts());

  readonly #onLifecycleChange = (): void => {
    this.requestUpdate();
    this.#syncKioskUpdate();
  };

  override connectedCallback(): void {
    super.connectedCallback();
    pwaLifecycle.addEventListener('change', this.#onLifecycleChange);
    // Interactions are noted from the start, so the idle time counts from the last one even if the
    // update arrives later.
    this.#idle.start();
    this.#syncKioskUpdate();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    pwaLifecycle.removeEventListener('change', this.#onLifecycleChange);
    this.#idle.stop();
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has('kiosk') || changed.has('idleMs')) this.#syncKioskUpdate();
  }

  #syncKioskUpdate(): void {
    if (this.kiosk && pwaLifecycle.updateWaiting) {
      this.#idle.whenIdle(this.idleMs, () => pwaLifecycle.applyUpdate());
    } else {
      this.#idle.cancel();
    }
  }

  readonly #onReload = (): void => pwaLifecycle.applyUpdate();

  readonly #onInstall = (): void => {
    // The outcome needs no answer here: either way the offer is used up and the button goes.
    pwaLifecycle.promptInstall().catch((error: unknown) => console.warn('Install prompt failed:', error));
  };

  readonly #onDismissIosHint = (): void => {
    dismissIosHint();
    this.iosHintDismissed = true;
  };

  protected override render(): TemplateResult | typeof nothing {
    if (this.kiosk) return nothing;
    return html`
      ${
        pwaLifecycle.updateWaiting
          ? html`<p class="notice" part="notice" role="status" data-testid="update-prompt">
              A new version is available
              <button type="button" class="primary" @click=${this.#onReload}>Reload</button>
            </p>`
          : nothing
      }
      ${
        pwaLifecycle.canInstall
          ? html`<button type="button" data-testid="install" @click=${this.#onInstall}>Install</button>`
          : nothing
      }
      ${
        this.#showIosHint && !this.iosHintDismissed
          ? html`<p class="notice" part="notice" data-testid="ios-install-hint">
              To install: tap Share, then Add to Home Screen
              <button
                type="button"
                class="dismiss"
                aria-label="Dismiss the install hint"
                @click=${this.#onDismissIosHint}
              >
                ×
              </button>
            </p>`
          : nothing
      }
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'sightline-pwa-status': SightlinePwaStatus;
  }
}
