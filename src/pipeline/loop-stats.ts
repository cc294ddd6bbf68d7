// Rolling figures for the status readout (HUD) and the client benchmark: frames sent and results per
// second, capture-to-box latency (median, p95), bytes per frame, and the main thread's share per frame.
// Keeps only the last few seconds of samples, so it never grows on a kiosk.

export interface Sample {
  readonly at: number;
  readonly value: number;
}

/** Raw samples with their times, for tools (the client benchmark) that aggregate over longer runs. */
export interface LoopSamples {
  readonly sent: readonly Sample[];
  readonly shown: readonly Sample[];
  readonly grabMs: readonly Sample[];
  readonly encodeMs: readonly Sample[];
  readonly drawMs: readonly Sample[];
  readonly roundTripMs: readonly Sample[];
}

export interface LoopFigures {
  readonly sentPerSecond: number;
  readonly resultsPerSecond: number;
  readonly latencyMedianMs: number | undefined;
  readonly latencyP95Ms: number | undefined;
  readonly bytesPerFrame: number | undefined;
  readonly mainThreadMsPerFrame: number | undefined;
  readonly encodeMsPerFrame: number | undefined;
  /** Where frames are answered when not by the server: the device's backend and its inference time. */
  readonly inference?:
    | { readonly backend: string; readonly inferenceMs: number | undefined; readonly loadMs?: number }
    | undefined;
}

export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

const mean = (values: readonly number[]) =>
  values.length ? values.reduce((a, b) => a + b, 0) / values.length : undefined;

export class LoopStats {
  private readonly sent: Sample[] = [];
  private readonly results: Sample[] = [];
  private readonly grabs: Sample[] = [];
  private readonly encodes: Sample[] = [];
  private readonly draws: Sample[] = [];
  private readonly roundTrips: Sample[] = [];

  constructor(private readonly windowMs = 5_000) {}

  recordSent(at: number, bytes: number): void {
    this.push(this.sent, at, bytes);
  }

  /** A result drawn on screen: `latencyMs` runs from the frame's capture to its boxes being drawn. */
  recordShown(at: number, latencyMs: number): void {
    this.push(this.results, at, latencyMs);
  }

  recordGrab(at: number, mainThreadMs: number, encodeMs: number): void {
    this.push(this.grabs, at, mainThreadMs);
    this.push(this.encodes, at, encodeMs);
  }

  /** Time the main thread spent drawing one result's boxes. */
  recordDraw(at: number, ms: number): void {
    this.push(this.draws, at, ms);
  }

  /** One prediction request, from sending the bytes to having the parsed answer. */
  recordRoundTrip(at: number, ms: number): void {
    this.push(this.roundTrips, at, ms);
  }

  /** The samples of the last few seconds (copies). */
  samples(now: number): LoopSamples {
    for (const list of this.lists()) this.prune(list, now);
    return {
      sent: [...this.sent],
      shown: [...this.results],
      grabMs: [...this.grabs],
      encodeMs: [...this.encodes],
      drawMs: [...this.draws],
      roundTripMs: [...this.roundTrips],
    };
  }

  figures(now: number): LoopFigures {
    for (const list of this.lists()) this.prune(list, now);
    const seconds = this.windowMs / 1000;
    const latencies = this.results.map((s) => s.value);
    return {
      sentPerSecond: this.sent.length / seconds,
      resultsPerSecond: this.results.length / seconds,
      latencyMedianMs: percentile(latencies, 50),
      latencyP95Ms: percentile(latencies, 95),
      bytesPerFrame: mean(this.sent.map((s) => s.value)),
      mainThreadMsPerFrame: mean(this.grabs.map((s) => s.value)),
      encodeMsPerFrame: mean(this.encodes.map((s) => s.value)),
    };
  }

  reset(): void {
    for (const list of this.lists()) list.length = 0;
  }

  private lists(): Sample[][] {
    return [this.sent, this.results, this.grabs, this.encodes, this.draws, this.roundTrips];
  }

  private push(list: Sample[], at: number, value: number): void {
    list.push({ at, value });
    this.prune(list, at);
  }

  private prune(list: Sample[], now: number): void {
    let drop = 0;
    while (drop < list.length && list[drop]!.at < now - this.windowMs) drop++;
    if (drop) list.splice(0, drop);
  }
}
