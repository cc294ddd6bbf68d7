import { LitElement, html, nothing, type TemplateResult } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import {
  chosenModel,
  fetchConfig,
  fetchHealth,
  ServerInfoError,
  type ModelInfo,
  type ServerConfig,
  type ServerHealth,
} from '../api/server-info.ts';
import { PollController } from '../controllers/poll-controller.ts';
import { OutboxController } from '../controllers/outbox-controller.ts';
import { describeIterationChange, IterationWatch } from '../teach/iteration-watch.ts';
import '../components/sightline-live.ts';
import '../components/sightline-pwa-status.ts';
import '../components/sightline-kiosk-exit.ts';
import '../components/sightline-pair.ts';
import { mayUseRememberedConfig, rememberConfig, rememberedConfig } from '../api/config-cache.ts';
import { isKioskLocked, resolveKioskMode } from '../kiosk/kiosk-mode.ts';
import { loadSettings, settingsFromUrl } from '../settings/settings.ts';
import { teachAccess, type TeachAccess } from '../teach/editor/teach-access.ts';
import { appStyles } from './sightline-app.styles.ts';
import {
  describeHealth,
  describeModel,
  describeModelChoice,
  describeServerProblem,
  formatUptime,
} from './status-text.ts';

type ConfigState =
  | { readonly kind: 'loading' }
  | { readonly kind: 'loaded'; readonly config: ServerConfig; readonly stale?: boolean }
  | {
      readonly kind: 'error';
      readonly message: string;
      readonly technical?: string | undefined;
      readonly needsPairing?: boolean;
    };

/** Poll quickly while the model loads so "ready" shows up promptly, then settle to a gentle pace. */
const HEALTH_DELAY_READY_MS = 5_000;
const HEALTH_DELAY_STARTING_MS = 1_500;

type View = 'live' | 'history' | 'pair' | 'teach';

const viewFromHash = (): View =>
  location.hash === '#history'
    ? 'history'
    : location.hash === '#pair'
      ? 'pair'
      : location.hash === '#teach'
        ? 'teach'
        : 'live';

/** How often a running app asks for /api/config again, to notice a newly published iteration. */
const CONFIG_REFRESH_MS = 30_000;

/** Technical details mark commands with backticks (as in "running (`npm start`)"); show those as code. */
function withCode(message: string): (string | TemplateResult)[] {
  return message.split('`').map((part, i) => (i % 2 === 1 ? html`<code>${part}</code>` : part));
}

/**
 * The operator's side of a problem (addresses, status codes, commands), closed by default: the person
 * using the app reads the words above it, and whoever runs the server opens this.
 */
function technicalDetail(technical: string | undefined): TemplateResult | typeof nothing {
  if (technical === undefined) return nothing;
  return html`<details class="technical" data-testid="technical-detail">
    <summary>Details for the operator</summary>
    <p>${withCode(technical)}</p>
  </details>`;
}

/**
 * The app shell: says which model is in use (the one chosen in settings, else the server's first) and
 * whether the server is healthy.
 * The camera view will live inside it.
 *
 * @csspart header - The title bar.
 * @csspart card - Each information card (model, server).
 */
@customElement('sightline-app')
export class SightlineApp extends LitElement {
  static override styles = appStyles;

  @state() private config: ConfigState = { kind: 'loading' };

  #configAbort: AbortController | undefined;
  #configLoadedAt = 0;

  /** Taught frames: kept on this device, uploaded in the background (see OutboxController). */
  readonly #outbox = new OutboxController(this);
  /** Which iteration the server's published name points at, to say so when it changes. */
  readonly #iterations = new IterationWatch();
  /** "Now using Iteration 7": shown after the app noticed a newly published iteration. */
  @state() private iterationNotice: string | undefined;

  /**
   * The model setting (its modelKey), read as the live view reads it and followed as the person changes
   * it there, so that the card and the notices speak of the model in use, in every view.
   */
  @state() private modelChoice: string | undefined = settingsFromUrl(location.search, loadSettings()).model;

  readonly #onSettingsChange = (event: HTMLElementEventMap['sl-settings-change']): void => {
    if ('model' in event.detail) this.modelChoice = event.detail.model;
  };

  /** The model predictions go to: the one chosen in settings, else the server's first. */
  #modelInUse(config: ServerConfig): ModelInfo | undefined {
    return chosenModel(config.models, this.modelChoice);
  }

  readonly #health = new PollController<ServerHealth>(this, {
    task: async (signal) => {
      const health = await fetchHealth(signal);
      // The server answers: taught frames waiting for it go now.
      this.#outbox.serverAnswered();
      // The server came back after the config request failed: fetch it again rather than asking for a click.
      if (
        this.config.kind === 'error' ||
        (this.config.kind === 'loaded' && this.config.stale && health.ready) ||
        // Now and then anyway: someone may have published a new iteration or changed this device's role.
        (this.config.kind === 'loaded' && performance.now() - this.#configLoadedAt >= CONFIG_REFRESH_MS)
      ) {
        this.#loadConfig();
      }
      return health;
    },
    delayMs: (poll) =>
      poll.kind === 'value' && poll.value.ready ? HEALTH_DELAY_READY_MS : HEALTH_DELAY_STARTING_MS,
  });

  /**
   * Which view is shown, from the address's #fragment so that reloads and the back button keep it. Only
   * one is mounted at a time: leaving Live stops the camera and the loop.
   */
  @state() private view: View = viewFromHash();

  /** Kiosk mode (?kiosk=1, remembered): decided once at start-up. */
  @property({ type: Boolean, reflect: true }) kiosk = resolveKioskMode(location.search);
  /** A locked kiosk (?kiosk=locked) offers no way out at the screen: only the address can end it. */
  readonly #kioskLocked = isKioskLocked(location.search);

  readonly #onHashChange = (): void => {
    this.view = viewFromHash();
    this.#importView();
  };

  /** The history and teach views are loaded only when first asked for, keeping the live view's start-up small. */
  #importView(): void {
    if (this.view === 'history') void import('../components/history/sightline-history.ts');
    if (this.view === 'teach') void import('../components/teach/sightline-teach-view.ts');
  }

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('hashchange', this.#onHashChange);
    // The settings live in the live view; their change events cross its shadow root to here.
    this.addEventListener('sl-settings-change', this.#onSettingsChange);
    this.#importView();
    if (this.config.kind !== 'loaded') this.#loadConfig();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('hashchange', this.#onHashChange);
    this.removeEventListener('sl-settings-change', this.#onSettingsChange);
    this.#configAbort?.abort();
    this.#configAbort = undefined;
  }

  #loadConfig(): void {
    if (this.#configAbort) return; // a load is already in flight
    const controller = new AbortController();
    this.#configAbort = controller;
    // A view already running on a remembered config keeps running while the fresh one loads.
    if (this.config.kind !== 'loaded') this.config = { kind: 'loading' };
    fetchConfig(controller.signal).then(
      (config) => {
        if (controller.signal.aborted) return;
        this.#configAbort = undefined;
        this.#configLoadedAt = performance.now();
        const change = this.#iterations.observe(this.#modelInUse(config));
        if (change) this.iterationNotice = describeIterationChange(change);
        // The same answer again changes nothing: the views keep their objects and nothing re-renders.
        const current = this.config.kind === 'loaded' && !this.config.stale ? this.config.config : undefined;
        if (current && JSON.stringify(current) === JSON.stringify(config)) return;
        rememberConfig(config);
        this.config = { kind: 'loaded', config };
        this.#outbox.configure(config);
      },
      (error: unknown) => {
        if (controller.signal.aborted) return;
        this.#configLoadedAt = performance.now();
        // A running app that merely failed a refresh keeps what it has (marked stale until the server answers).
        if (this.config.kind === 'loaded') {
          this.config = { ...this.config, stale: true };
          this.#configAbort = undefined;
          return;
        }
        // Unreachable server: start with the model it last served (the preview runs; predictions wait).
        const remembered = mayUseRememberedConfig(error) ? rememberedConfig() : undefined;
        // Offline: teaches are kept, and go once the server answers with a fresh config.
        this.#outbox.configure(remembered);
        this.config = remembered
          ? { kind: 'loaded', config: remembered, stale: true }
          : {
              kind: 'error',
              ...describeServerProblem(error),
              // A server with access control answers 401 until this browser is paired (issue: device tokens).
              needsPairing: error instanceof ServerInfoError && error.status === 401,
            };
        this.#configAbort = undefined;
      },
    );
  }

  readonly #onRetryConfig = (): void => this.#loadConfig();
  readonly #onCheckHealth = (): void => this.#health.refresh();

  override render(): TemplateResult {
    // A kiosk shows the live view alone, edge to edge: no header, no navigation, no cards.
    if (this.kiosk) {
      // Updates apply by themselves when nobody is interacting; no prompt waits for a click.
      // One main landmark holds the whole screen, for screen readers and their landmark navigation.
      return html`<sightline-pwa-status kiosk></sightline-pwa-status>
        <main class="kiosk-main">
          ${
            this.config.kind === 'loaded'
              ? this.#renderLive()
              : html`<p class="kiosk-wait" role="status">Waiting for the Sightline server…</p>`
          }
          ${this.#renderIterationNotice()}
        </main>
        ${this.#kioskLocked ? nothing : html`<sightline-kiosk-exit></sightline-kiosk-exit>`}`;
    }
    return html`
      <header class="bar" part="header">
        <img class="logo" src="/favicon.svg" alt="" width="32" height="32" />
        <h1>Sightline</h1>
        <p class="tagline">Live camera detection</p>
        <nav class="views" aria-label="Views">
          <a href="#live" aria-current=${this.view === 'live' ? 'page' : 'false'}>Live</a>
          <a href="#history" aria-current=${this.view === 'history' ? 'page' : 'false'}>History</a>
          ${this.#renderTeachLink()}
        </nav>
        <sightline-pwa-status ?kiosk=${false}></sightline-pwa-status>
      </header>
      <main>
        ${this.#renderIterationNotice()}
        ${
          this.#outbox.problem
            ? html`<p class="problem" role="alert" data-testid="outbox-problem">${this.#outbox.problem}</p>`
            : nothing
        }
        ${this.#renderView()}
        <section class="card" part="card" aria-labelledby="model-heading">
          <h2 id="model-heading">Model</h2>
          ${this.#renderModel()}
        </section>
        <section class="card" part="card" aria-labelledby="server-heading">
          <h2 id="server-heading">Server</h2>
          ${this.#renderHealth()}
        </section>
      </main>
    `;
  }

  /**
   * The Teach view's link, with the count of taught frames not yet uploaded: shown to a device that may
   * teach, and to any device whose outbox still holds something (its role may have been lowered since).
   */
  #renderTeachLink(): TemplateResult | typeof nothing {
    const pending = this.#outbox.pending;
    const mayTeach = this.#teach() !== undefined;
    if (!mayTeach && pending === 0) return nothing;
    return html`<a
      href="#teach"
      data-testid="teach-link"
      aria-current=${this.view === 'teach' ? 'page' : 'false'}
      aria-label=${pending > 0 ? `Teach, ${pending} ${pending === 1 ? 'frame' : 'frames'} in the outbox` : 'Teach'}
      >Teach${pending > 0 ? html` <span class="badge" data-testid="outbox-count">${pending}</span>` : nothing}</a
    >`;
  }

  #renderIterationNotice(): TemplateResult | typeof nothing {
    if (this.iterationNotice === undefined) return nothing;
    return html`<p class="notice" role="status" data-testid="iteration-notice">
      ${this.iterationNotice}
      <button type="button" @click=${() => (this.iterationNotice = undefined)}>OK</button>
    </p>`;
  }

  /** What this device may teach with, worked out once per config so the views get the same object. */
  #teachFor = new WeakMap<ServerConfig, TeachAccess | undefined>();
  #teach(): TeachAccess | undefined {
    if (this.config.kind !== 'loaded' || this.kiosk) return undefined;
    const { config } = this.config;
    if (!this.#teachFor.has(config)) this.#teachFor.set(config, teachAccess(config));
    return this.#teachFor.get(config);
  }

  #renderView(): TemplateResult | typeof nothing {
    if (this.view === 'history') {
      return html`<sightline-history class="live" .teach=${this.#teach()}></sightline-history>`;
    }
    if (this.view === 'teach') {
      return html`<sightline-teach-view
        class="live"
        .outbox=${this.#outbox.outbox}
        .config=${this.config.kind === 'loaded' ? this.config.config : undefined}
      ></sightline-teach-view>`;
    }
    if (this.view === 'pair') {
      return html`<section class="card live" part="card"><sightline-pair></sightline-pair></section>`;
    }
    return this.#renderLive();
  }

  /** The live camera view, once the server has said which model it serves (and so where to send frames). */
  #renderLive(): TemplateResult | typeof nothing {
    if (this.config.kind !== 'loaded') return nothing;
    const { models } = this.config.config;
    if (models.length === 0) return nothing;
    const health = this.#health.state;
    return html`<sightline-live
      class="live"
      ?kiosk=${this.kiosk}
      ?modelReady=${health.kind === 'value' && health.value.ready}
      .models=${models}
      .budget=${this.config.config.budget}
      .teach=${this.#teach()}
    ></sightline-live>`;
  }

  #renderModel(): TemplateResult {
    const { config } = this;
    if (config.kind === 'loading') {
      return html`<p class="muted" aria-busy="true">Loading model information…</p>`;
    }
    if (config.kind === 'error' && config.needsPairing) {
      return html`
        <p class="problem" role="alert" data-testid="needs-pairing">
          This Sightline server is for paired devices. Pair this browser once with the device code the
          operator gave you.
        </p>
        <a class="button" href="#pair">Pair this device</a>
      `;
    }
    if (config.kind === 'error') {
      return html`
        <p class="problem" role="alert">${config.message}</p>
        ${technicalDetail(config.technical)}
        <button type="button" @click=${this.#onRetryConfig}>Try again</button>
      `;
    }
    const model = this.#modelInUse(config.config);
    if (!model) {
      return html`<p class="problem">
        The server has no model configured. Check its environment variables.
      </p>`;
    }
    const text = describeModel(model);
    const choice = describeModelChoice(config.config.models.length);
    const tags = model.tags;
    return html`
      <p class="model-name" data-testid="model-name">${text.name}</p>
      <p class="muted" data-testid="model-source">${text.source}</p>
      ${
        tags && tags.length > 0
          ? html`<p class="meta">
              ${tags.length} ${tags.length === 1 ? 'label' : 'labels'}:
              ${tags.slice(0, 6).join(', ')}${tags.length > 6 ? ', …' : ''}
            </p>`
          : nothing
      }
      ${choice === undefined ? nothing : html`<p class="meta" data-testid="model-choice">${choice}</p>`}
    `;
  }

  #renderHealth(): TemplateResult {
    const poll = this.#health.state;
    const text = describeHealth(poll);
    const uptime = poll.kind === 'value' ? poll.value.uptimeSeconds : undefined;
    const checkedAt = poll.kind === 'waiting' ? undefined : new Date(poll.at).toLocaleTimeString();
    return html`
      <div role="status" aria-live="polite">
        <p class="health" data-testid="server-health" data-state=${text.state}>
          <span class="dot" aria-hidden="true"></span>${text.label}
        </p>
        <p
          class=${text.state === 'unreachable' || text.state === 'error' ? 'problem' : 'muted'}
          data-testid="server-health-detail"
        >
          ${text.detail}
        </p>
      </div>
      ${technicalDetail(text.technical)}
      <p class="meta">
        ${uptime === undefined ? nothing : html`Up ${formatUptime(uptime)} · `}
        ${checkedAt === undefined ? 'Not checked yet' : html`Checked at ${checkedAt}`}
      </p>
      <button type="button" @click=${this.#onCheckHealth}>Check now</button>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'sightline-app': SightlineApp;
  }
}
