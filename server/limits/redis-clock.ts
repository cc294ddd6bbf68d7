// Redis's clock as this process can bound it. Leases an instance asks for must end by a time it knows
// locally, but they are kept by Redis's clock, and instances' clocks need not agree with it: each reply
// that carries Redis's time gives a lower bound on how far Redis's clock is ahead of the local one.
export class RedisClock {
  private offset: number | undefined;

  /** A reply said Redis's clock read `redisMs` (ms since the epoch); it arrived at local time `receivedAt`. */
  observe(redisMs: number, receivedAt: number): void {
    // Redis read its clock before it answered: at `receivedAt` its clock is at least `redisMs`.
    this.offset = redisMs - receivedAt;
  }

  known(): boolean {
    return this.offset !== undefined;
  }

  /** Redis's time at local time `local` or earlier, never later; undefined until a reply has been seen. */
  atMost(local: number): number | undefined {
    return this.offset === undefined ? undefined : local + this.offset;
  }

  /** A Redis that came back may be another server with another clock: read it again before relying on it. */
  forget(): void {
    this.offset = undefined;
  }
}
