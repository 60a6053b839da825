import { fmt } from '../lib/log.js';
import type { Row, RunReport } from './types.js';

/** The Markdown page of one run: machine facts, headline ratios, then every row. */
function correctnessCell(r: Row): string {
  const c = r.correctness;
  if (!c) return r.extra.check ? String(r.extra.check) : '–';
  const stored = c.stored === null ? '' : ` = stored ${c.stored}`;
  const order = c.order_violations === 0 ? 'order kept' : `${c.order_violations} out of order`;
  const errs = Object.entries(c.errors).map(([k, v]) => `${k}×${v}`).join(' ');
  return `${c.ok ? '✅' : '❌'} sent ${c.sent} = acked ${c.acked}${stored}; delivered ${c.delivered}/${c.expected_deliveries}; ${order}${errs ? `; errors ${errs}` : ''}${c.note ? `; ${c.note}` : ''}`;
}

const EXTRA_SHOWN = [
  'offered_per_s', 'sched_lag_p99_ms', 'members', 'per_delivery_p99_ms', 'ack_p99_ms', 'server_cpu_pct', 'server_elu_pct', 'server_main_cpu_pct',
  'server_other_threads_cpu_pct', 'core_busy_pct', 'client_cpu_pct', 'other_cpu_pct', 'msgs_before_window', 'runs_p99_ms',
  'commit_batch_avg', 'commit_ms_avg', 'commit_loop_pct', 'runs', 'connections', 'rss_per_conn_kib', 'connect_per_s', 'messages', 'seeded_by', 'hits_avg', 'items_avg',
];

function extraCell(r: Row): string {
  return EXTRA_SHOWN.filter((k) => r.extra[k] !== undefined).map((k) => `${k}=${r.extra[k]}`).join(', ');
}

export function markdown(rep: RunReport): string {
  const m = rep.machine;
  const lines: string[] = [];
  lines.push(`# Parley benchmark — ${rep.mode} run, ${m.date.slice(0, 19).replace('T', ' ')} UTC`, '');
  lines.push(`- machine: ${m.cpu_model}, ${m.cores} cores, ${m.memory_gb} GiB RAM, ${m.platform}`);
  lines.push(`- node ${m.node}; git ${m.git_commit}${m.git_dirty ? ' (with uncommitted changes)' : ''}; server ${rep.server_entry}`);
  lines.push(`- command: \`${rep.command}\`; took ${fmt(rep.duration_s)} s`, '');
  lines.push('## Headlines (ratios and targets, measured in this run)', '');
  lines.push('| headline | value | target | met |', '|---|---:|---|:--:|');
  for (const h of rep.headlines) {
    lines.push(`| ${h.name} | ${fmt(h.value, h.unit === '×' ? 2 : h.value < 10 ? 2 : 0)} ${h.unit} | ${h.target} | ${h.met === null ? '–' : h.met ? '✅' : '❌'} |`);
  }
  lines.push('', '## All measurements', '');
  lines.push('Latency is end to end, sender → recipient (fan-out: to the last of the recipients; history/search: request → answer). CPU is the server process (all threads) over the measured window.', '');
  lines.push('| scenario | system | sends/s | deliveries/s | p50 ms | p99 ms | p99.9 ms | CPU-s / 1k msgs | server RSS MB | correctness | details |');
  lines.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|');
  for (const r of rep.rows) {
    lines.push(`| ${r.scenario} | ${r.system} | ${fmt(r.sends_per_s)} | ${fmt(r.deliveries_per_s)} | ${fmt(r.p50_ms, 2)} | ${fmt(r.p99_ms, 2)} | ${fmt(r.p999_ms, 2)} | ${fmt(r.cpu_s_per_1k, 3)} | ${fmt(r.server_rss_mb)} | ${correctnessCell(r)} | ${extraCell(r)} |`);
  }
  if (rep.notes.length) {
    lines.push('', '## Notes', '');
    for (const n of rep.notes) lines.push(`- ${n}`);
  }
  return lines.join('\n') + '\n';
}
