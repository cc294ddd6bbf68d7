// Prometheus metrics, served at /metrics (behind the same access control as the API). Each server has
// its own registry, so several servers in one process (the tests) do not mix their counts. Labels are
// fixed sets (route names, status codes, outcome words), never paths or client ids, so the number of
// series stays small whatever clients send.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

import type { RouteName } from '../../src/shared/server-routes.ts';

/** A route of the table, or the app's own files ("static"), or a path nothing answers ("other"). */
export type MetricRouteName = RouteName | 'static' | 'other';

export class Metrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'sightline_http_requests_total',
    help: 'HTTP requests answered, by route and status code.',
    labelNames: ['route', 'status'] as const,
    registers: [this.registry],
  });
  private readonly latency = new Histogram({
    name: 'sightline_http_request_duration_seconds',
    help: 'Time from a request arriving to its answer being sent, by route.',
    labelNames: ['route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  private readonly upstreamCalls = new Counter({
    name: 'sightline_upstream_requests_total',
    help: 'Calls to the upstream (Custom Vision or the local detector), by outcome: an HTTP status, timeout, network or invalid-json.',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  private readonly upstreamErrors = new Counter({
    name: 'sightline_upstream_errors_total',
    help: 'Upstream calls that failed or were refused, by code: an HTTP status, timeout, network, invalid-json or circuit-open.',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  private readonly rejections = new Counter({
    name: 'sightline_limiter_rejections_total',
    help: 'Requests refused by a limiter before reaching the upstream, by reason: budget, client (fair share), queue-full, auth-failures.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  constructor(gauges: { inFlight: () => number; queueDepth: () => number; budgetFallback: () => boolean }) {
    new Gauge({
      name: 'sightline_http_requests_in_flight',
      help: 'Requests being handled right now.',
      registers: [this.registry],
      collect() {
        this.set(gauges.inFlight());
      },
    });
    new Gauge({
      name: 'sightline_queue_depth',
      help: "Predictions waiting for the local detector's workers (0 when forwarding to Custom Vision).",
      registers: [this.registry],
      collect() {
        this.set(gauges.queueDepth());
      },
    });
    new Gauge({
      name: 'sightline_budget_fallback',
      help: '1 while Redis is unreachable and this instance serves within a local share of the budget.',
      registers: [this.registry],
      collect() {
        this.set(gauges.budgetFallback() ? 1 : 0);
      },
    });
    collectDefaultMetrics({ register: this.registry, prefix: 'sightline_' });
  }

  request(route: MetricRouteName, status: number, seconds: number): void {
    this.requests.inc({ route, status: String(status) });
    this.latency.observe({ route }, seconds);
  }

  upstream(outcomes: readonly string[], refused: string | undefined): void {
    for (const outcome of outcomes) {
      this.upstreamCalls.inc({ outcome });
      if (!outcome.startsWith('2')) this.upstreamErrors.inc({ code: outcome });
    }
    if (refused === 'circuit-open') this.upstreamErrors.inc({ code: refused });
    else if (refused) this.rejections.inc({ reason: refused });
  }

  rejected(reason: 'auth-failures' | 'connections-per-client' | 'no-request'): void {
    this.rejections.inc({ reason });
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
