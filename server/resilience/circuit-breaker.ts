// A circuit breaker for the upstream. After `threshold` failures in a row (5xx, timeouts, unreachable)
// it opens: requests get a fast 503 with Retry-After instead of waiting on an upstream that is down.
// When the cooldown is over, one real request goes through as a probe: success closes the circuit,
// failure opens it again for twice as long (up to a minute). Throttling (429) and client errors (4xx)
// prove the upstream is up, so they count as successes.

const MAX_COOLDOWN_MS = 60_000;

export type CircuitState = 'closed' | 'open' | 'half-open';

export class CircuitBreaker {
  private failures = 0;
  private openUntil = 0;
  private cooldownMs: number;
  private probing = false;

  constructor(
    private readonly threshold: number,
    private readonly baseCooldownMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.cooldownMs = baseCooldownMs;
  }

  /**
   * Whether a request may go upstream now: undefined if so (it may be the probe), else the milliseconds
   * until it may. A caller that was let through must report success(), failure() or abandoned().
   */
  check(): number | undefined {
    if (this.failures < this.threshold && !this.probing) return undefined;
    const now = this.now();
    if (now < this.openUntil) return this.openUntil - now;
    if (this.probing) return 1_000; // a probe is in flight: its answer decides
    this.probing = true;
    return undefined;
  }

  success(): void {
    this.failures = 0;
    this.probing = false;
    this.cooldownMs = this.baseCooldownMs;
  }

  failure(): void {
    this.failures++;
    if (this.probing || this.failures === this.threshold) {
      if (this.probing) this.cooldownMs = Math.min(this.cooldownMs * 2, MAX_COOLDOWN_MS);
      this.openUntil = this.now() + this.cooldownMs;
      this.probing = false;
    }
  }

  /** The request let through ended without an answer either way (its client left, or the budget said no). */
  abandoned(): void {
    this.probing = false;
  }

  state(): CircuitState {
    if (this.failures < this.threshold) return 'closed';
    return this.now() < this.openUntil ? 'open' : 'half-open';
  }
}
