/**
 * The counters a link reports, as the narrow shapes of prom-client's Gauge
 * and Counter: pass `Metrics` from ../metrics.ts (or any object with these
 * methods). Labels stay low-cardinality: transport is 'ws' | 'tcp', op is a
 * known client op or '_invalid', code is an error code of the catalogue.
 */
export interface LinkMetrics {
  /** open client connections (authenticated or not), by transport */
  connections: { inc(labels: { transport: string }): void; dec(labels: { transport: string }): void };
  /**
   * client frames received at the link, by op (pings and invalid frames included).
   * Optional: in one process dispatch may already count the frames it handles.
   */
  framesIn?: { inc(labels: { op: string }, value?: number): void };
  /** frames written to clients (a push to n connections counts n) */
  framesOut: { inc(value?: number): void };
  /** error frames sent by the link itself, by code */
  frameErrors?: { inc(labels: { code: string }): void };
  /** UDP datagrams and reliability events, by event (in, out, garbage_*, rate_limited, resend, ...) */
  udpEvents?: { inc(labels: { event: string }, value?: number): void };
}
