import { LitElement, css, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { teachPanelStyles } from './teach-panel.styles.ts';
import { customElement, property, state } from 'lit/decorators.js';
import type { TrainingPace } from '../../api/server-info.ts';
import type { IterationInfo, TrainingClient, TrainingFailure } from '../../api/training-client.ts';
import {
  followTraining,
  isSettled,
  loadIterations,
  type IterationRow,
} from '../../teach/iterations/iterations.ts';

const percent = (value: number) => `${Math.round(value * 1000) / 10} %`;

const failureText = (failure: TrainingFailure): string =>
  failure.kind === 'unreachable'
    ? "Can't reach the Sightline server. Try again when it answers."
    : failure.kind === 'busy'
      ? `The server is busy (${failure.message}). Try again in a moment.`
      : failure.message;

/**
 * The project's iterations (for a device with the `manage` role): status, when trained, precision,
 * recall and mAP, which one the app's published name points at; Train with its progress until Custom
 * Vision says Completed or Failed, and Publish under the app's published name.
 */
@customElement('sightline-iterations')
export class SightlineIterations extends LitElement {
  static override styles = [
    teachPanelStyles,
    css`
      :host {
        display: block;
      }
      table {
        width: 100%;
        border-collapse: collapse;
        font-size: 0.9375rem;
      }
      th,
      td {
        text-align: left;
        padding: 0.375rem 0.5rem;
        border-bottom: 1px solid var(--sl-border);
        vertical-align: middle;
      }
      .published {
        color: var(--sl-ok);
        font-weight: 600;
      }
      .problem {
        color: var(--sl-bad);
      }
      .toolbar {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 0.75rem;
        margin-bottom: 0.75rem;
      }
      .scroll {
        overflow-x: auto;
      }
    `,
  ];

  @property({ attribute: false }) client: TrainingClient | undefined;
  @property({ attribute: false }) pace: TrainingPace | undefined;
  /** The name the app predicts with: Publish goes under it. */
  @property() publishedName = '';

  @state() private rows: readonly IterationRow[] | undefined;
  @state() private problem: string | undefined;
  @state() private training: IterationInfo | undefined;
  @state() private trainingSince = 0;
  @state() private busy = false;

  #abort = new AbortController();

  override connectedCallback(): void {
    super.connectedCallback();
    this.#abort = new AbortController();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#abort.abort();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if ((changed.has('client') || changed.has('publishedName')) && this.client) void this.#load();
  }

  async #load(): Promise<void> {
    if (!this.client) return;
    const answer = await loadIterations(this.client, this.publishedName, this.#abort.signal).catch(
      () => undefined,
    );
    if (!answer) return;
    if (!answer.ok) {
      this.problem = failureText(answer.failure);
      return;
    }
    this.rows = answer.rows;
    // A training started elsewhere (another device, the portal) is followed here too.
    const running = answer.rows.find((row) => !isSettled(row.iteration));
    if (running && !this.training) void this.#follow(running.iteration);
  }

  readonly #onTrain = async (): Promise<void> => {
    if (!this.client || this.training) return;
    this.busy = true;
    this.problem = undefined;
    const started = await this.client.trainProject(this.#abort.signal).catch(() => undefined);
    this.busy = false;
    if (!started) return;
    if (!started.ok) {
      this.problem = failureText(started.failure);
      return;
    }
    await this.#follow(started.value);
  };

  async #follow(iteration: IterationInfo): Promise<void> {
    if (!this.client || !this.pace) return;
    this.training = iteration;
    this.trainingSince = Date.now();
    const final = await followTraining(
      this.client,
      iteration.id,
      this.pace,
      (update) => (this.training = update),
      this.#abort.signal,
    ).catch(() => undefined);
    this.training = undefined;
    if (final?.status === 'Failed') {
      this.problem = `${final.name} failed to train${final.trainingErrorDetails ? `: ${final.trainingErrorDetails}` : '.'}`;
    }
    await this.#load();
  }

  async #publish(row: IterationRow): Promise<void> {
    if (!this.client) return;
    this.busy = true;
    this.problem = undefined;
    // The server publishes to its own prediction resource whatever is named here.
    const answer = await this.client
      .publishIteration(row.iteration.id, this.publishedName, 'default', this.#abort.signal)
      .catch(() => undefined);
    this.busy = false;
    if (answer && !answer.ok) this.problem = failureText(answer.failure);
    await this.#load();
  }

  override render(): TemplateResult {
    const training = this.training;
    return html`
      <div class="toolbar">
        <button
          type="button"
          data-testid="train"
          ?disabled=${this.busy || training !== undefined || !this.client}
          @click=${this.#onTrain}
        >
          Train
        </button>
        ${
          training
            ? html`<span role="status" data-testid="training-progress">
                <progress aria-label="Training ${training.name}"></progress>
                ${training.name}: ${training.status} (since
                ${new Date(this.trainingSince).toLocaleTimeString()})
              </span>`
            : nothing
        }
      </div>
      ${this.problem ? html`<p class="problem" role="alert">${this.problem}</p>` : nothing}
      ${this.#renderTable()}
    `;
  }

  #renderTable(): TemplateResult {
    const rows = this.rows;
    if (rows === undefined) return html`<p>Loading iterations…</p>`;
    if (rows.length === 0) return html`<p>No iterations yet: Train makes the first.</p>`;
    return html`<div class="scroll">
      <table>
        <thead>
          <tr>
            <th scope="col">Iteration</th>
            <th scope="col">Status</th>
            <th scope="col">Trained</th>
            <th scope="col">Precision</th>
            <th scope="col">Recall</th>
            <th scope="col">mAP</th>
            <th scope="col" aria-label="Publish"></th>
          </tr>
        </thead>
        <tbody>
          ${rows.map((row) => this.#renderRow(row))}
        </tbody>
      </table>
    </div>`;
  }

  #renderRow(row: IterationRow): TemplateResult {
    const { iteration, performance } = row;
    return html`<tr data-testid="iteration" data-status=${iteration.status}>
      <th scope="row">${iteration.name}</th>
      <td>${iteration.status}</td>
      <td>${iteration.trainedAt ? new Date(iteration.trainedAt).toLocaleString() : '—'}</td>
      <td>${performance ? percent(performance.precision) : '—'}</td>
      <td>${performance ? percent(performance.recall) : '—'}</td>
      <td>${performance ? percent(performance.averagePrecision) : '—'}</td>
      <td>
        ${
          row.published
            ? html`<span class="published" data-testid="published">Published as ${this.publishedName}</span>`
            : iteration.status === 'Completed'
              ? html`<button
                  type="button"
                  ?disabled=${this.busy}
                  @click=${() => void this.#publish(row)}
                  aria-label="Publish ${iteration.name} as ${this.publishedName}"
                >
                  Publish
                </button>`
              : nothing
        }
      </td>
    </tr>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'sightline-iterations': SightlineIterations;
  }
}
