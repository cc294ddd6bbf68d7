import { LitElement, html, nothing, type TemplateResult } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { fetchConfig, fetchHealth, type ServerConfig, type ServerHealth } from '../api/server-info.ts';
import { PollController } from '../controllers/poll-controller.ts';
import '../components/sightline-live.ts';
import { appStyles } from './sightline-app.styles.ts';
import { describeHealth, describeModel, formatUptime } from './status-text.ts';

type ConfigState =
  | { readonly kind: 'loading' }
  | { readonly kind: 'loaded'; readonly config: ServerConfig }
  | { readonly kind: 'error'; readonly message: string };

/** Poll quickly while the model loads so "ready" shows up promptly, then settle to a gentle pace. */
const HEALTH_DELAY_READY_MS = 5_000;
const HEALTH_DELAY_STARTING_MS = 1_500;

/** Messages mark commands with backticks (as in "is `npm start` running?"); show those as code. */
function withCode(message: string): (string | TemplateResult)[] {
  return message.split('`').map((part, i) => (i % 2 === 1 ? html`<code>${part}</code>` : part));
}

/**
 * The app shell: says which model the Sightline server is serving and whether the server is healthy.
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

  readonly #health = new PollController<ServerHealth>(this, {
    task: async (signal) => {
      const health = await fetchHealth(signal);
      // The server came back after the config request failed: fetch it again rather than asking for a click.
      if (this.config.kind === 'error') this.#loadConfig();
      return health;
    },
    delayMs: (poll) =>
      poll.kind === 'value' && poll.value.ready ? HEALTH_DELAY_READY_MS : HEALTH_DELAY_STARTING_MS,
  });

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.config.kind !== 'loaded') this.#loadConfig();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#configAbort?.abort();
    this.#configAbort = undefined;
  }

  #loadConfig(): void {
    if (this.#configAbort) return; // a load is already in flight
    const controller = new AbortController();
    this.#configAbort = controller;
    this.config = { kind: 'loading' };
    fetchConfig(controller.signal).then(
      (config) => {
        if (controller.signal.aborted) return;
        this.config = { kind: 'loaded', config };
        this.#configAbort = undefined;
      },
      (error: unknown) => {
        if (controller.signal.aborted) return;
        this.config = { kind: 'error', message: error instanceof Error ? error.message : String(error) };
        this.#configAbort = undefined;
      },
    );
  }

  readonly #onRetryConfig = (): void => this.#loadConfig();
  readonly #onCheckHealth = (): void => this.#health.refresh();

  override render(): TemplateResult {
    return html`
      <header class="bar" part="header">
        <img class="logo" src="/favicon.svg" alt="" width="32" height="32" />
        <h1>Sightline</h1>
        <p class="tagline">Live camera detection</p>
      </header>
      <main>
        ${this.#renderLive()}
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

  /** The live camera view, once the server has said which model it serves (and so where to send frames). */
  #renderLive(): TemplateResult | typeof nothing {
    if (this.config.kind !== 'loaded') return nothing;
    const model = this.config.config.models[0];
    if (!model) return nothing;
    return html`<sightline-live
      class="live"
      .model=${model}
      .budget=${this.config.config.budget}
    ></sightline-live>`;
  }

  #renderModel(): TemplateResult {
    const { config } = this;
    if (config.kind === 'loading') {
      return html`<p class="muted" aria-busy="true">Loading model information…</p>`;
    }
    if (config.kind === 'error') {
      return html`
        <p class="problem" role="alert">${withCode(config.message)}</p>
        <button type="button" @click=${this.#onRetryConfig}>Try again</button>
      `;
    }
    const [model, ...others] = config.config.models;
    if (!model) {
      return html`<p class="problem">
        The server has no model configured. Check its environment variables.
      </p>`;
    }
    const text = describeModel(model);
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
      ${
        others.length > 0
          ? html`<p class="meta">
              and ${others.length} more ${others.length === 1 ? 'model' : 'models'} on this server
            </p>`
          : nothing
      }
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
          ${withCode(text.detail)}
        </p>
      </div>
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
