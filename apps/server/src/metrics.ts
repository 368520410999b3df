import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Readings the metrics take from the running parts when scraped (no bookkeeping in the hot path). */
export interface MetricSources {
  connections(): number;
  busTopics(): number;
  commitQueue(): number;
}

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * The node's Prometheus metrics, on a registry of its own (several servers can share a process in
 * tests). Names are documented in docs/OPERATIONS.md; labels never carry user or chat ids.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly messagesIn = new Counter({ name: 'parley_messages_committed_total', help: 'Messages durably committed by this node (sends, not resends)', registers: [this.registry] });
  readonly deliveries = new Counter({ name: 'parley_deliveries_total', help: 'Message frames written to client connections by this node', registers: [this.registry] });
  readonly commitSeconds = new Histogram({ name: 'parley_send_commit_seconds', help: 'From a send frame received to its durable commit (the ack)', buckets: LATENCY_BUCKETS, registers: [this.registry] });
  readonly deliverySeconds = new Histogram({ name: 'parley_delivery_latency_seconds', help: 'From a message\'s commit to its fan-out on this node (includes the bus hop between nodes)', buckets: LATENCY_BUCKETS, registers: [this.registry] });
  readonly commitCheckSeconds = new Histogram({ name: 'parley_mls_commit_check_seconds', help: 'Checking an MLS commit against its group\'s public state (R35), by outcome (accepted or the error code)', labelNames: ['outcome'] as const, buckets: LATENCY_BUCKETS, registers: [this.registry] });
  readonly errors = new Counter({ name: 'parley_errors_total', help: 'Errors returned to clients, by stable error code', labelNames: ['code'] as const, registers: [this.registry] });
  readonly rateLimitStoreCalls = new Counter({ name: 'parley_rate_limit_store_calls_total', help: 'Round trips of the cluster rate limiter to its shared buckets, by result (granted, refused, failed)', labelNames: ['result'] as const, registers: [this.registry] });
  readonly throttled = new Counter({ name: 'parley_ws_throttled_total', help: 'Times a connection went over its frame budget (PARLEY_WS_FRAMES_PER_SEC) and was not read for a moment', registers: [this.registry] });
  readonly disconnects = new Counter({ name: 'parley_disconnects_total', help: 'Connections closed by the server, by reason', labelNames: ['reason'] as const, registers: [this.registry] });

  constructor(nodeId: string) {
    this.registry.setDefaultLabels({ node: nodeId });
    collectDefaultMetrics({ register: this.registry });
  }

  /** Gauges read at scrape time. */
  watch(sources: MetricSources): void {
    new Gauge({ name: 'parley_connections', help: 'Open client WebSocket connections', registers: [this.registry], collect() { this.set(sources.connections()); } });
    new Gauge({ name: 'parley_bus_topics', help: 'Chat and user topics this node is subscribed to', registers: [this.registry], collect() { this.set(sources.busTopics()); } });
    new Gauge({ name: 'parley_commit_queue', help: 'Sends waiting for the next group commit', registers: [this.registry], collect() { this.set(sources.commitQueue()); } });
  }
}
