import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs } from '../src/args.js';
import { setQuiet } from '../src/lib/log.js';
import type { RunReport } from '../src/report/types.js';
import { addMysqlRows, takeStoreFlag } from '../src/scenarios/mysql-store.js';

// `--store mysql` in quick mode: the MariaDB rows are produced on a private
// primary + replica and every correctness line holds (never speed).
test('bench --store mysql --quick: MariaDB rows for throughput, history and search, all correct', { timeout: 180_000 }, async () => {
  assert.deepEqual(takeStoreFlag(['--quick', '--store', 'mysql', '--only', 'search']), { store: 'mysql', rest: ['--quick', '--only', 'search'] });
  assert.equal(takeStoreFlag(['--quick']).store, 'sqlite');
  assert.throws(() => takeStoreFlag(['--store', 'oracle']), /sqlite or mysql/);

  setQuiet(!process.env.BENCH_VERBOSE);
  const args = parseArgs(['--quick', '--only', 'throughput,history,search']);
  const report: RunReport = {
    machine: {} as RunReport['machine'], command: 'test', mode: 'quick', server_entry: 'test',
    // as runBench leaves it: started 5 s ago, its duration taken when the SQLite scenarios ended
    started_at: new Date(Date.now() - 5000).toISOString(), duration_s: 5, rows: [], headlines: [], notes: [],
  };
  const before = Date.now();
  await addMysqlRows(args, report, 'tq');
  assert.deepEqual(report.notes, []);
  assert.ok(report.duration_s >= 5 + Math.floor((Date.now() - before) / 1000) - 1 && report.duration_s > 5, `the duration covers the MariaDB rows: ${report.duration_s} s`);
  const ids = report.rows.map((r) => r.id);
  assert.deepEqual(ids, ['mysql-throughput', 'mysql-history-ws', 'mysql-search', 'mysql-search-zh3', 'mysql-search-zh2']);
  for (const r of report.rows) {
    if (r.correctness) {
      assert.ok(r.correctness.ok, `${r.id}: ${JSON.stringify(r.correctness)}`);
      assert.equal(r.correctness.stored, r.correctness.acked, `${r.id}: stored on the primary`);
      assert.ok(r.correctness.sent > 0);
    } else {
      assert.match(String(r.extra.check), /^✅/, `${r.id}: ${r.extra.check}`);
    }
  }
});
