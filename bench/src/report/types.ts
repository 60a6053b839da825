import type { Correctness } from '../gen/types.js';
import type { MachineFacts } from '../lib/machine.js';

/** One measured system in one scenario: a row of the results table. */
export interface Row {
  /** stable key for headlines and plots: throughput, latency-50, fanout-max, history-ws, ... */
  id: string;
  /** scenario number and name, e.g. "1 1:1 throughput" */
  scenario: string;
  system: string;
  role: 'parley' | 'ceiling' | 'peer';
  sends_per_s: number | null;
  deliveries_per_s: number | null;
  /** end-to-end latency sender → recipient, ms (fan-out: to the last recipient) */
  p50_ms: number | null;
  p99_ms: number | null;
  p999_ms: number | null;
  cpu_s_per_1k: number | null;
  server_rss_mb: number | null;
  correctness: Correctness | null;
  /** scenario-specific figures (connections held, RSS per connection, ack latency...) */
  extra: Record<string, number | string | boolean>;
}

/** A headline: Parley against its ceiling or target, measured in the same run. */
export interface Headline {
  name: string;
  value: number;
  unit: string;
  target: string;
  met: boolean | null;
}

export interface RunReport {
  machine: MachineFacts;
  command: string;
  mode: 'quick' | 'full' | 'cluster-quick' | 'cluster-full';
  server_entry: string;
  started_at: string;
  duration_s: number;
  rows: Row[];
  headlines: Headline[];
  notes: string[];
}
