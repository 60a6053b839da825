import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from '../src/args.js';
import { setQuiet } from '../src/lib/log.js';
import { writeReport } from '../src/report/write.js';
import { runBench } from '../src/run.js';

// The bench harness in quick mode: every scenario on tiny sizes against real
// servers, asserting only correctness (sent = acked = stored = delivered, order
// kept, reads answered correctly) — never speed, which this shared machine
// cannot promise.
test('bench --quick: every scenario runs and every correctness line holds', { timeout: 120_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'parley-bench-test-'));
  try {
    setQuiet(!process.env.BENCH_VERBOSE);
    const args = parseArgs(['--quick', '--out', out]);
    const rep = await runBench(args, 'test');
    assert.deepEqual(rep.notes.filter((n) => n.includes(' failed: ')), []);
    const ids = rep.rows.map((r) => r.id);
    for (const id of ['throughput', 'throughput-persisted', 'throughput-relay', 'peer-socketio', 'latency-50', 'latency-50-persisted', 'latency-80',
      'fanout-max', 'fanout-max-ws', 'fanout-max-net', 'fanout-rate', 'connections', 'history-ws', 'history-ws-bare', 'history-http', 'history-http-bare',
      'search', 'search-zh3', 'search-zh2']) {
      assert.ok(ids.includes(id), `row ${id} missing (have ${ids.join(', ')})`);
    }
    for (const r of rep.rows) {
      if (r.correctness) {
        const c = r.correctness;
        assert.ok(c.ok, `${r.id} ${r.system}: ${JSON.stringify(c)}`);
        assert.equal(c.sent, c.acked, r.id);
        assert.equal(c.delivered, c.expected_deliveries, r.id);
        assert.equal(c.order_violations, 0, r.id);
        if (r.role === 'parley') assert.equal(c.stored, c.acked, `${r.id}: stored`);
        assert.ok(c.sent > 0, `${r.id}: nothing sent`);
        // the event loop's utilisation and every core's load are reported for each driven row
        assert.equal(typeof r.extra.server_elu_pct, 'number', `${r.id}: no server_elu_pct`);
        assert.match(String(r.extra.core_busy_pct), /^\d+( \/ \d+)*$/, `${r.id}: core_busy_pct`);
      } else {
        assert.match(String(r.extra.check), /^✅/, `${r.id}: ${r.extra.check}`);
      }
    }
    writeReport(out, rep);
    const files = readdirSync(out);
    for (const ext of ['json', 'md', 'svg']) assert.ok(files.some((f) => f.endsWith(`-quick.${ext}`)), `no .${ext} written`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
