// Binds the teach outbox to the app shell: opens it when the app connects and starts the background
// upload (which waits for the drain lock while another tab holds it), takes every `sl-teach` the editor
// fires anywhere below the shell, follows the server's config (project, pace, role), and wakes the
// uploader when the browser comes online or the server answers a health check again. The header's
// count comes from here.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { ServerConfig } from '../api/server-info.ts';
import { Outbox } from '../teach/outbox/outbox.ts';
import { pendingCount, type OutboxCounts } from '../teach/outbox/outbox-types.ts';

export class OutboxController implements ReactiveController {
  /** Undefined until the database is open (or if it cannot be: private browsing may refuse IndexedDB). */
  outbox: Outbox | undefined;
  counts: OutboxCounts | undefined;
  /** Why the last teach could not be kept (storage full, IndexedDB refused), for the shell to show. */
  problem: string | undefined;

  #opening: Promise<Outbox | undefined> | undefined;
  #config: Pick<ServerConfig, 'training'> | undefined;
  #unsubscribe: (() => void) | undefined;

  constructor(private readonly host: ReactiveControllerHost & HTMLElement) {
    host.addController(this);
  }

  /** Items still to send or to decide on. */
  get pending(): number {
    return this.counts ? pendingCount(this.counts) : 0;
  }

  hostConnected(): void {
    this.host.addEventListener('sl-teach', this.#onTeach);
    window.addEventListener('online', this.#onOnline);
    this.#opening ??= Outbox.open().then(
      (outbox) => {
        this.outbox = outbox;
        outbox.configure(this.#config);
        this.#unsubscribe = outbox.subscribe(() => void this.#refreshCounts());
        outbox.start();
        void this.#refreshCounts();
        this.host.requestUpdate();
        return outbox;
      },
      (error: unknown) => {
        this.problem = `Taught frames cannot be kept on this device: ${error instanceof Error ? error.message : String(error)}`;
        this.host.requestUpdate();
        return undefined;
      },
    );
  }

  hostDisconnected(): void {
    this.host.removeEventListener('sl-teach', this.#onTeach);
    window.removeEventListener('online', this.#onOnline);
    this.#unsubscribe?.();
    this.outbox?.close();
    this.outbox = undefined;
    this.#opening = undefined;
  }

  /** The server's config changed (or was first read): uploads follow its project, pace and role. */
  configure(config: Pick<ServerConfig, 'training'> | undefined): void {
    this.#config = config;
    this.outbox?.configure(config);
  }

  /** The server answered again: what waits for it goes now. */
  serverAnswered(): void {
    this.outbox?.wake({ reachable: true });
  }

  readonly #onOnline = (): void => this.serverAnswered();

  readonly #onTeach = (event: HTMLElementEventMap['sl-teach']): void => {
    const draft = event.detail;
    void (async () => {
      const outbox = await this.#opening;
      if (!outbox) return;
      try {
        await outbox.add(draft);
        this.problem = undefined;
      } catch (error) {
        this.problem = `This frame could not be kept for upload: ${error instanceof Error ? error.message : String(error)}. Free some storage and teach it again.`;
        this.host.requestUpdate();
      }
    })();
  };

  async #refreshCounts(): Promise<void> {
    const outbox = this.outbox;
    if (!outbox) return;
    try {
      this.counts = await outbox.counts();
    } catch {
      return; // the database closed under us (another tab upgraded it); the next change reads again
    }
    this.host.requestUpdate();
  }
}
