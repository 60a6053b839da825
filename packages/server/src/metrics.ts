import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The Prometheus metrics of one process, in their own registry so tests can
 * run several platforms in one process without name clashes.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly connections = new Gauge({ name: 'parley_connections', help: 'open client connections', labelNames: ['transport'], registers: [this.registry] });
  readonly framesIn = new Counter({ name: 'parley_frames_in_total', help: 'client frames received', labelNames: ['op'], registers: [this.registry] });
  readonly framesOut = new Counter({ name: 'parley_frames_out_total', help: 'frames written to clients', registers: [this.registry] });
  readonly frameErrors = new Counter({ name: 'parley_frame_errors_total', help: 'error frames sent, by code', labelNames: ['code'], registers: [this.registry] });
  readonly udpEvents = new Counter({ name: 'parley_udp_events_total', help: 'UDP datagrams in/out, dropped garbage and reliability events, by event', labelNames: ['event'], registers: [this.registry] });
  readonly messagesStored = new Counter({ name: 'parley_messages_stored_total', help: 'messages durably committed', registers: [this.registry] });
  readonly commitBatchSize = new Histogram({
    name: 'parley_commit_batch_size', help: 'messages per group-commit transaction',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024], registers: [this.registry],
  });
  readonly commitSeconds = new Histogram({
    name: 'parley_commit_seconds', help: 'group-commit transaction latency',
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1], registers: [this.registry],
  });
  readonly pushSeconds = new Histogram({
    name: 'parley_push_seconds', help: 'time from commit to handing the push to the links',
    buckets: [0.0001, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.05, 0.1], registers: [this.registry],
  });
  readonly eventPublishFailures = new Counter({
    name: 'parley_event_publish_failures_total', help: 'events the bus refused (logged; the data they describe is committed)',
    labelNames: ['type'], registers: [this.registry],
  });
  readonly outboxRepublished = new Counter({
    name: 'parley_outbox_republished_total', help: 'message events re-published from the outbox (not confirmed in time after their commit)', registers: [this.registry],
  });
  readonly deliveryFailures = new Counter({
    name: 'parley_delivery_failures_total', help: 'committed batches whose pushes failed (location lookup); clients gap-fill', registers: [this.registry],
  });
  readonly seqConflicts = new Counter({
    name: 'parley_seq_conflicts_total', help: 'messages re-sequenced because their seq was already taken', registers: [this.registry],
  });
  readonly controlErrors = new Counter({ name: 'parley_control_errors_total', help: 'control plane publishes or handlers that failed', labelNames: ['stage'], registers: [this.registry] });
  readonly httpRequests = new Counter({ name: 'parley_http_requests_total', help: 'HTTP requests', labelNames: ['route', 'status'], registers: [this.registry] });

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }
}
