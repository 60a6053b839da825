import type { Creds, TransportKind } from './transports.js';

/** Configs and results exchanged between the CLI and its generator children. */

export interface Timing {
  warmupMs: number;
  durationMs: number;
  /** after the window: how long to wait for outstanding acks and pushes */
  drainMs: number;
}

export interface PairsConfig extends Timing {
  transport: TransportKind;
  url: string;
  /** several links of a cluster: pair i's sender on urls[i % n], its recipient on urls[(i + 1) % n] (default: url for both) */
  urls?: string[];
  pairs: { from: Creds; to: Creds }[];
  /** closed: each sender keeps `window` unacked sends; open: `rate` sends/s in total, on a schedule */
  mode: 'closed' | 'open';
  window: number;
  rate: number;
  textBytes: number;
  runTag: string;
}

export interface Correctness {
  sent: number;
  acked: number;
  /** filled in by the CLI from the server's store; null where nothing is stored (ceilings, peer) */
  stored: number | null;
  delivered: number;
  /** deliveries the protocol promises: acked × recipients per message */
  expected_deliveries: number;
  errors: Record<string, number>;
  order_violations: number;
  ok: boolean;
  note?: string;
}

export interface GenResult {
  /** seconds of the measurement window */
  window_s: number;
  acked_in_window: number;
  delivered_in_window: number;
  /** HdrHistogram (µs) sender → recipient, compressed base64 */
  e2e_hist: string;
  /** HdrHistogram (µs) send → ack */
  ack_hist: string;
  /** HdrHistogram (µs) of open-loop sends' lateness against their schedule */
  lag_hist: string;
  /** HdrHistogram (µs) send → last recipient (fan-out only) */
  last_hist?: string;
  sent: number;
  acked: number;
  delivered: number;
  errors: Record<string, number>;
  order_violations: number;
  /** per conversation: messages acked by the server, to compare with the store */
  convs: { conv_id: string; acked: number }[];
  overloaded: boolean;
  drained: boolean;
  client_cpu_s: number;
}

export interface FanoutConfig extends Timing {
  transport: TransportKind;
  url: string;
  group_id: string;
  members: Creds[];
  /** the first `senders` members send */
  senders: number;
  mode: 'closed' | 'open';
  window: number;
  rate: number;
  textBytes: number;
  runTag: string;
}

export interface ConnConfig {
  url: string;
  creds: Creds[];
  localAddress: string;
  concurrency: number;
  /** stop opening new connections after this long */
  deadlineMs: number;
  /** stop after this many consecutive failures: the server is out of descriptors */
  maxConsecutiveFailures: number;
}

/** conn-gen `watch`: count which held connections of these users receive a message in this conversation */
export interface WatchConfig {
  conv_id: string;
  members: string[];
}

/** conn-gen `received`: of the held connections of watched members, how many got the watched conversation's message */
export interface Received {
  expected: number;
  got: number;
  /** connections that got it more than once */
  duplicates: number;
}

export interface QueryConfig {
  wsUrl: string;
  httpUrl: string;
  kind: 'ws-history' | 'http-history' | 'ws-search';
  users: { creds: Creds; convs: string[] }[];
  queries: string[];
  count: number;
  limit: number;
  deadlineMs: number;
}
