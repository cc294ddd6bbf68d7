// The app's outbox: teaches are kept (OutboxStore) and sent in the background (OutboxUploader) to the
// training project the server's /api/config names. Every tab sees the same outbox: a change in one is
// announced to the others on a BroadcastChannel, so each tab's count and list stay true, and the tab that
// holds the drain lock sends what another tab added.
import { mayUseTraining, trainingPace, type ServerConfig } from '../../api/server-info.ts';
import { TrainingClient, type TrainingClientOptions } from '../../api/training-client.ts';
import type { TeachDraft } from '../teach-types.ts';
import { OutboxStore } from './outbox-store.ts';
import { makeThumbnail } from './thumbnail.ts';
import type { OutboxCounts, OutboxItem } from './outbox-types.ts';
import { OutboxUploader, type UploadTarget } from './outbox-uploader.ts';

const CHANNEL_NAME = 'sightline-outbox';

export interface OutboxOptions {
  /** The database's name (tests use one each). */
  readonly name?: string;
  readonly clientOptions?: TrainingClientOptions;
  readonly uploader?: Partial<
    Pick<
      ConstructorParameters<typeof OutboxUploader>[0],
      'maxInFlight' | 'backoffBaseMs' | 'backoffMaxMs' | 'idleRecheckMs' | 'locks'
    >
  >;
}

/** Where this caller's teaches may go, or undefined when its role or the server allows none. */
export function uploadTargetFor(
  config: Pick<ServerConfig, 'training'> | undefined,
  clientOptions: TrainingClientOptions = {},
): UploadTarget | undefined {
  if (!config || !config.training.available || !mayUseTraining(config, 'createImagesFromFiles'))
    return undefined;
  return {
    client: new TrainingClient(config.training, clientOptions),
    projectId: config.training.projectId,
    pace: trainingPace(config.training),
  };
}

export class Outbox {
  readonly #store: OutboxStore;
  readonly #uploader: OutboxUploader;
  readonly #channel: BroadcastChannel | undefined;
  readonly #listeners = new Set<() => void>();
  readonly #clientOptions: TrainingClientOptions;
  #target: UploadTarget | undefined;

  private constructor(store: OutboxStore, options: OutboxOptions) {
    this.#store = store;
    this.#clientOptions = options.clientOptions ?? {};
    this.#uploader = new OutboxUploader({
      store,
      target: () => this.#target,
      onChange: () => this.#changed(true),
      locks: typeof navigator !== 'undefined' ? navigator.locks : undefined,
      ...options.uploader,
    });
    this.#channel = typeof BroadcastChannel === 'undefined' ? undefined : new BroadcastChannel(CHANNEL_NAME);
    this.#channel?.addEventListener('message', () => {
      this.#notify();
      this.#uploader.wake();
    });
  }

  static async open(options: OutboxOptions = {}): Promise<Outbox> {
    const store = await OutboxStore.open(options.name === undefined ? {} : { name: options.name });
    return new Outbox(store, options);
  }

  /** Follows the server's config: a new project, pace or role takes effect from the next upload on. */
  configure(config: Pick<ServerConfig, 'training'> | undefined): void {
    this.#target = uploadTargetFor(config, this.#clientOptions);
    this.#uploader.wake();
  }

  start(): void {
    this.#uploader.start();
  }

  stop(): void {
    this.#uploader.stop();
  }

  close(): void {
    this.stop();
    this.#channel?.close();
    this.#store.close();
  }

  /** The server answers again (online event, a health check succeeded): send what waits. */
  wake(options: { reachable?: boolean } = {}): void {
    this.#uploader.wake(options);
  }

  get uploader(): OutboxUploader {
    return this.#uploader;
  }

  async add(draft: TeachDraft): Promise<void> {
    await this.#store.add(draft, await makeThumbnail(draft.image));
    this.#changed(true);
    this.#uploader.wake();
  }

  async retry(clientId: string): Promise<void> {
    await this.#store.retry(clientId);
    this.#changed(true);
    this.#uploader.wake({ reachable: true });
  }

  async discard(clientId: string): Promise<void> {
    await this.#store.discard(clientId);
    this.#changed(true);
  }

  list(): Promise<OutboxItem[]> {
    return this.#store.all();
  }

  counts(): Promise<OutboxCounts> {
    return this.#store.counts();
  }

  /** Calls `listener` after every change, from this tab or another; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #changed(announce: boolean): void {
    this.#notify();
    if (announce) this.#channel?.postMessage('changed');
  }

  #notify(): void {
    for (const listener of this.#listeners) listener();
  }
}
