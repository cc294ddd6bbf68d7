// The current list of device tokens: ACCESS_TOKENS (fixed) plus ACCESS_TOKENS_FILE, which is re-read when
// it changes (polled every second, which survives editors that replace the file) and on SIGHUP. Editing
// the file is how a token is revoked, without a restart. A file that cannot be read grants nothing: it
// fails closed, says so in the log, and recovers when the file is back.
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { ConfigError } from '../env-parse.ts';
import type { Logger } from '../observability/logger.ts';
import { registerSecrets } from '../observability/secrets.ts';
import type { SecurityConfig } from './config.ts';
import { matchToken, parseTokenList, type DeviceToken } from './tokens.ts';

const POLL_MS = 1_000;
/** Tokens removed from the file are remembered as revoked (not as guesses) up to this many, until restart. */
const MAX_REMEMBERED_REVOKED = 1_000;

export class TokenStore {
  private fileTokens: readonly DeviceToken[] = [];
  private all: readonly DeviceToken[];
  /** Revoked on purpose ("!token" entries) or dropped from the file while running. */
  private revoked: readonly DeviceToken[] = [];
  /** Tokens dropped from the file while running, newest last, at most MAX_REMEMBERED_REVOKED. */
  private dropped: DeviceToken[] = [];
  private listedRevoked: readonly DeviceToken[] = [];
  private fileProblem: string | undefined;
  private watching = false;

  constructor(
    private readonly config: Pick<SecurityConfig, 'tokens' | 'revokedTokens' | 'tokensFile'>,
    private readonly log: Logger,
  ) {
    this.all = config.tokens;
    this.listedRevoked = config.revokedTokens;
    this.revoked = config.revokedTokens;
    registerSecrets(...[...config.tokens, ...config.revokedTokens].map((token) => token.secret));
  }

  /** Whether any token source is configured: if not, the server runs open (loopback only). */
  get enabled(): boolean {
    return this.config.tokens.length > 0 || this.config.tokensFile !== undefined;
  }

  /** Reads the file at boot; a file that cannot be read stops the start with a message. */
  load(): void {
    if (this.config.tokensFile === undefined) return;
    const error = this.read();
    if (error) throw new ConfigError(error);
    if (this.all.length === 0)
      this.log.warn('ACCESS_TOKENS_FILE has no usable token: every request is refused');
  }

  /** Re-reads the file (on change or SIGHUP). */
  reload(reason: string): void {
    if (this.config.tokensFile === undefined) return;
    const before = this.fileTokens.length;
    const error = this.read();
    if (error) this.log.error({ reason }, `${error} No token from the file is accepted until it is fixed.`);
    else this.log.info({ reason, tokens: this.all.length, before }, 'device tokens reloaded');
  }

  watch(): void {
    if (this.config.tokensFile === undefined || this.watching) return;
    this.watching = true;
    watchFile(this.config.tokensFile, { interval: POLL_MS, persistent: false }, () =>
      this.reload('file changed'),
    );
  }

  match(presented: string): DeviceToken | undefined {
    return matchToken(this.all, presented);
  }

  /** Whether `presented` is a token the operator revoked (listed as "!token", or removed from the file). */
  isRevoked(presented: string): boolean {
    return matchToken(this.revoked, presented) !== undefined;
  }

  byId(id: string): DeviceToken | undefined {
    return this.all.find((token) => token.id === id);
  }

  /** For health output: how many tokens are live and whether the file is in trouble. */
  state() {
    return { tokens: this.all.length, ...(this.fileProblem ? { problem: this.fileProblem } : {}) };
  }

  close(): void {
    if (this.watching && this.config.tokensFile) unwatchFile(this.config.tokensFile);
    this.watching = false;
  }

  /** Replaces the file's tokens; returns an error sentence (and grants nothing from the file) on failure. */
  private read(): string | undefined {
    const file = this.config.tokensFile!;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      this.fileTokens = [];
      this.all = this.config.tokens;
      this.fileProblem = `ACCESS_TOKENS_FILE (${file}) cannot be read: ${(error as NodeJS.ErrnoException).code ?? 'error'}.`;
      return this.fileProblem;
    }
    const parsed = parseTokenList(text, `ACCESS_TOKENS_FILE (${file})`, 'line');
    for (const problem of parsed.problems) this.log.warn(problem);
    registerSecrets(...[...parsed.tokens, ...parsed.revoked].map((token) => token.secret));
    const kept = new Set(parsed.tokens.map((token) => token.id));
    const nowDropped = this.fileTokens.filter((token) => !kept.has(token.id));
    this.dropped = [...this.dropped.filter((token) => !kept.has(token.id)), ...nowDropped].slice(
      -MAX_REMEMBERED_REVOKED,
    );
    this.revoked = [...this.listedRevoked, ...parsed.revoked, ...this.dropped];
    this.fileTokens = parsed.tokens;
    // A "!" line in either list revokes the token in both: the operator's word to revoke wins over a
    // listing of the same token in the other list.
    const revokedIds = new Set([...this.listedRevoked, ...parsed.revoked].map((token) => token.id));
    this.all = [...this.config.tokens, ...parsed.tokens].filter((token) => !revokedIds.has(token.id));
    this.fileProblem = undefined;
    return undefined;
  }
}
