import { LitElement, css, html, nothing, type TemplateResult } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { mayUseTraining, trainingModel, trainingPace, type ServerConfig } from '../../api/server-info.ts';
import { TrainingClient } from '../../api/training-client.ts';
import type { Outbox } from '../../teach/outbox/outbox.ts';
import { teachAccess, type TeachAccess } from '../../teach/editor/teach-access.ts';
import './sightline-outbox.ts';
import './sightline-iterations.ts';
import './sightline-review-queue.ts';

/**
 * The Teach view (#teach): the outbox of taught frames, the review queue of frames the live view kept
 * for review, and, for a device that may manage the project, its iterations with Train and Publish.
 */
@customElement('sightline-teach-view')
export class SightlineTeachView extends LitElement {
  static override styles = css`
    :host {
      display: grid;
      gap: 1rem;
    }
    section {
      padding: 1rem;
      border: 1px solid var(--sl-border);
      border-radius: var(--sl-radius, 0.75rem);
      background: var(--sl-surface);
    }
    h2 {
      margin: 0 0 0.75rem;
      font-size: 1.125rem;
    }
  `;

  @property({ attribute: false }) outbox: Outbox | undefined;
  @property({ attribute: false }) config: ServerConfig | undefined;

  #clientFor = new WeakMap<ServerConfig, TrainingClient>();
  #accessFor = new WeakMap<ServerConfig, TeachAccess | undefined>();

  #access(): TeachAccess | undefined {
    const config = this.config;
    if (!config) return undefined;
    if (!this.#accessFor.has(config)) this.#accessFor.set(config, teachAccess(config));
    return this.#accessFor.get(config);
  }

  /** One client per config, so that the iterations panel keeps its state across re-renders. */
  #client(): TrainingClient | undefined {
    const config = this.config;
    if (!config?.training.available || !mayUseTraining(config, 'trainProject')) return undefined;
    let client = this.#clientFor.get(config);
    if (!client) {
      client = new TrainingClient(config.training);
      this.#clientFor.set(config, client);
    }
    return client;
  }

  override render(): TemplateResult {
    const client = this.#client();
    const training = this.config?.training;
    return html`
      <section aria-labelledby="outbox-heading">
        <h2 id="outbox-heading">Outbox</h2>
        <sightline-outbox .outbox=${this.outbox}></sightline-outbox>
      </section>
      <section aria-labelledby="review-heading">
        <h2 id="review-heading">Review queue</h2>
        <sightline-review-queue .access=${this.#access()}></sightline-review-queue>
      </section>
      ${
        client && training?.available
          ? html`<section aria-labelledby="iterations-heading">
              <h2 id="iterations-heading">Iterations</h2>
              <sightline-iterations
                .client=${client}
                .pace=${trainingPace(training)}
                publishedName=${
                  // The training project's name, whichever model the live view predicts with: Publish
                  // names an iteration of this project, and another export's name is not one of its own.
                  (this.config && trainingModel(this.config)?.publishedName) ?? ''
                }
              ></sightline-iterations>
            </section>`
          : nothing
      }
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'sightline-teach-view': SightlineTeachView;
  }
}
