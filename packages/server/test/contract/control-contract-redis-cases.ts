import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Control, ControlMessage } from '../../src/control/control.js';

/**
 * Control seam cases that need several instances on one backend (several
 * processes): run against every implementation. Written here because the
 * shared control contract was not on a branch yet when the Redis control
 * plane was written; fold into control-contract.ts when both are merged.
 * `makeCluster` gives a fresh backend; `instance()` is one process's Control.
 */
export interface ControlCluster {
  instance(): Promise<Control>;
  cleanup(): Promise<void>;
}

async function until(what: string, pred: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export function runControlClusterCases(name: string, makeCluster: () => Promise<ControlCluster>): void {
  describe(`Control contract, several instances: ${name}`, () => {
    const tag = randomBytes(4).toString('hex');

    it('a message reaches every instance, the publisher included, never synchronously', async () => {
      const cluster = await makeCluster();
      try {
        const [a, b, c] = [await cluster.instance(), await cluster.instance(), await cluster.instance()];
        const got: Record<string, ControlMessage[]> = { a: [], b: [], c: [] };
        a.subscribe((m) => void got.a.push(m));
        b.subscribe((m) => void got.b.push(m));
        c.subscribe((m) => void got.c.push(m));
        const p = b.publish({ type: 'cache.invalidate', key: `k-${tag}` });
        assert.deepEqual([got.a.length, got.b.length, got.c.length], [0, 0, 0], 'not delivered synchronously');
        await p;
        await until('delivery to all three', () => got.a.length === 1 && got.b.length === 1 && got.c.length === 1);
        for (const k of ['a', 'b', 'c']) assert.deepEqual(got[k], [{ type: 'cache.invalidate', key: `k-${tag}` }]);
      } finally {
        await cluster.cleanup();
      }
    });

    it('one publisher\'s messages arrive in publish order at every instance', async () => {
      const cluster = await makeCluster();
      try {
        const [a, b] = [await cluster.instance(), await cluster.instance()];
        const atA: number[] = [];
        const atB: number[] = [];
        a.subscribe((m) => void (m.type === 'n' && atA.push(m.i as number)));
        b.subscribe((m) => void (m.type === 'n' && atB.push(m.i as number)));
        const N = 300;
        await Promise.all(Array.from({ length: N }, (_, i) => a.publish({ type: 'n', i })));
        await until('all messages', () => atA.length === N && atB.length === N);
        const want = Array.from({ length: N }, (_, i) => i);
        assert.deepEqual(atA, want);
        assert.deepEqual(atB, want);
      } finally {
        await cluster.cleanup();
      }
    });

    it('unsubscribe and close stop delivery; a closed instance cannot publish', async () => {
      const cluster = await makeCluster();
      try {
        const [a, b] = [await cluster.instance(), await cluster.instance()];
        const got: string[] = [];
        const off = b.subscribe((m) => void got.push(m.type));
        await a.publish({ type: 'first' });
        await until('first', () => got.length === 1);
        off();
        await b.close();
        await a.publish({ type: 'second' });
        // A marker through a live instance shows the second message has been delivered wherever it goes.
        const seen: string[] = [];
        a.subscribe((m) => void seen.push(m.type));
        await a.publish({ type: 'marker' });
        await until('marker', () => seen.includes('marker'));
        assert.deepEqual(got, ['first']);
        await assert.rejects(b.publish({ type: 'after-close' }));
      } finally {
        await cluster.cleanup();
      }
    });
  });
}
