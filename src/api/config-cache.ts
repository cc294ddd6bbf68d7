// The last /api/config the server gave, remembered on the device, so that an app opened while the server
// is unreachable (offline, or the server restarting) still starts its camera preview with the model it
// last knew; predictions resume by themselves when the server answers again.
import { parseConfig, ServerInfoError, type ServerConfig } from './server-info.ts';

const STORAGE_KEY = 'sightline.config.v1';

export function rememberConfig(
  config: ServerConfig,
  storage: Pick<Storage, 'setItem'> | undefined = globalThis.localStorage,
): void {
  try {
    storage?.setItem(STORAGE_KEY, JSON.stringify(config));
  } catch {
    // Storage full or disabled: the app simply cannot start offline next time.
  }
}

export function rememberedConfig(
  storage: Pick<Storage, 'getItem'> | undefined = globalThis.localStorage,
): ServerConfig | undefined {
  try {
    const raw = storage?.getItem(STORAGE_KEY);
    return raw ? parseConfig(JSON.parse(raw)) : undefined;
  } catch {
    return undefined; // unreadable or from an older shape: as if never stored
  }
}

/**
 * Whether the remembered config may stand in after this failure to load a fresh one. A server that cannot
 * be reached or is failing: yes. A server that answered with a config this build cannot read (a model
 * source it does not know, say): no, because running on the old config would hide that from the user.
 */
export function mayUseRememberedConfig(error: unknown): boolean {
  return !(error instanceof ServerInfoError && error.kind === 'invalid');
}
