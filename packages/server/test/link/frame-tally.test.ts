import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tallied } from '../../src/link/frame-tally.js';
import type { LinkMetrics } from '../../src/link/link-metrics.js';

describe('frame tally (link counters batched per event-loop turn)', () => {
  it('hands a turn’s frames to the metrics in one call per counter and op, after the turn', async () => {
    const calls: string[] = [];
    const m: LinkMetrics = {
      connections: { inc: () => calls.push('conn+'), dec: () => calls.push('conn-') },
      framesOut: { inc: (v) => calls.push(`out ${v}`) },
      framesIn: { inc: (l, v) => calls.push(`in ${l.op} ${v}`) },
      frameErrors: { inc: (l) => calls.push(`err ${l.code}`) },
    };
    const t = tallied(m);
    for (let i = 0; i < 5; i++) t.framesOut.inc();
    t.framesOut.inc(3);
    t.framesIn!.inc({ op: 'send' });
    t.framesIn!.inc({ op: 'send' });
    t.framesIn!.inc({ op: 'ping' });
    t.connections.inc({ transport: 'ws' });
    t.frameErrors!.inc({ code: 'rate_limited' });
    assert.deepEqual(calls, ['conn+', 'err rate_limited'], 'gauges and errors pass straight through; frames wait for the turn to end');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(calls.slice(2), ['out 8', 'in send 2', 'in ping 1']);
    await new Promise((r) => setImmediate(r));
    assert.equal(calls.length, 5, 'nothing more without new frames');
  });
});
