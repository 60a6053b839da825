import type { Headline, Row } from './types.js';

/**
 * The figures the issue asks Parley to reach, computed from this run's rows
 * only: a ratio is Parley over the ceiling measured minutes apart on the same
 * machine, never over a number from another day.
 */
const byId = (rows: Row[], id: string) => rows.find((r) => r.id === id);

export function headlines(rows: Row[]): Headline[] {
  const out: Headline[] = [];
  const ratio = (name: string, a: Row | undefined, b: Row | undefined, pick: (r: Row) => number | null, target: number | null) => {
    const x = a && pick(a);
    const y = b && pick(b);
    if (!x || !y) return;
    const v = x / y;
    out.push({ name, value: Math.round(v * 100) / 100, unit: '×', target: target === null ? 'informational' : `≥ ${target}×`, met: target === null ? null : v >= target });
  };
  const below = (name: string, r: Row | undefined, v: number | null | undefined, limit: number, unit: string) => {
    if (!r || v === null || v === undefined || Number.isNaN(v)) return;
    out.push({ name, value: v, unit, target: `< ${limit} ${unit}`, met: v < limit });
  };
  // a p99 ratio, lower is better: Parley's p99 over the ceiling's, in the same run
  const atMost = (name: string, a: Row | undefined, b: Row | undefined, limit: number) => {
    if (!a?.p99_ms || !b?.p99_ms) return;
    const v = a.p99_ms / b.p99_ms;
    out.push({ name, value: Math.round(v * 100) / 100, unit: '×', target: `≤ ${limit}× (${a.p99_ms} vs ${b.p99_ms} ms)`, met: v <= limit });
  };
  const sends = (r: Row) => r.sends_per_s;
  const deliveries = (r: Row) => r.deliveries_per_s;
  ratio('1:1 sends/s, Parley persisted+acked ÷ persisted relay', byId(rows, 'throughput'), byId(rows, 'throughput-persisted'), sends, 0.8);
  ratio('1:1 sends/s, Parley persisted+acked ÷ ws relay', byId(rows, 'throughput'), byId(rows, 'throughput-relay'), sends, 0.5);
  ratio('1:1 sends/s, Parley ÷ Socket.IO (no storage)', byId(rows, 'throughput'), byId(rows, 'peer-socketio'), sends, null);
  ratio('group fan-out deliveries/s, Parley (TCP clients) ÷ raw net', byId(rows, 'fanout-max'), byId(rows, 'fanout-max-net'), deliveries, 0.8);
  ratio('group fan-out deliveries/s, Parley (WebSocket clients) ÷ raw net', byId(rows, 'fanout-max-ws'), byId(rows, 'fanout-max-net'), deliveries, null);
  const beside = (name: string, r: Row | undefined, c: Row | undefined) => {
    if (!r || r.p99_ms === null || Number.isNaN(r.p99_ms)) return;
    out.push({ name, value: r.p99_ms, unit: 'ms', target: `informational (ceiling in the same run: ${c?.p99_ms ?? '–'} ms)`, met: null });
  };
  below('p99 sender→recipient at 50% of max', byId(rows, 'latency-50'), byId(rows, 'latency-50')?.p99_ms, 10, 'ms');
  atMost('p99 at 50% of max, Parley ÷ persisted relay at the same rate', byId(rows, 'latency-50'), byId(rows, 'latency-50-persisted'), 2);
  beside('p99 sender→recipient at 80% of max', byId(rows, 'latency-80'), byId(rows, 'latency-80-relay'));
  beside('fan-out p99 to the last recipient at 50% of max', byId(rows, 'fanout-rate'), byId(rows, 'fanout-rate-net'));
  atMost('history (newest 50) p99, WebSocket ÷ bare ws endpoint', byId(rows, 'history-ws'), byId(rows, 'history-ws-bare'), 1.3);
  atMost('history (newest 50) p99, HTTP ÷ bare Fastify endpoint', byId(rows, 'history-http'), byId(rows, 'history-http-bare'), 1.3);
  below('search p99, English words', byId(rows, 'search'), byId(rows, 'search')?.p99_ms, 20, 'ms');
  below('search p99, Chinese 3-character words', byId(rows, 'search-zh3'), byId(rows, 'search-zh3')?.p99_ms, 20, 'ms');
  below('search p99, Chinese 2-character words', byId(rows, 'search-zh2'), byId(rows, 'search-zh2')?.p99_ms, 20, 'ms');
  const conn = byId(rows, 'connections');
  if (conn && typeof conn.extra.rss_per_conn_kib === 'number') {
    out.push({ name: 'RSS per idle authenticated connection', value: conn.extra.rss_per_conn_kib, unit: 'KiB', target: '≤ 8 KiB', met: conn.extra.rss_per_conn_kib <= 8 });
  }
  if (conn && typeof conn.extra.connections === 'number') {
    out.push({ name: 'idle connections held by one server process', value: conn.extra.connections, unit: 'conns', target: 'informational (≈20k fd limit)', met: null });
  }
  return out;
}
