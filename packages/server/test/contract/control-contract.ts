import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Control, ControlMessage } from '../../src/control/control.js';

/** Waits on a condition, never on a fixed delay: generous bound for a loaded machine. */
async function until(pred: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timeout waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * Two processes' instances on one backend. Both are ready when returned
 * (subscribed), so a message published afterwards reaches both.
 */
export interface ControlPair {
  a: Control;
  b: Control;
  /** make `which` lose its subscription (a dropped connection); resolves once the loss was caused */
  loseSubscription(which: Control): Promise<void>;
  cleanup(): Promise<void>;
}

/** The Control seam's promises (control.ts); run against every implementation (memory now, Redis next). */
export function runControlContract(name: string, make: () => Promise<ControlPair>): void {
  describe(`Control contract: ${name}`, () => {
    const tag = randomBytes(4).toString('hex');
    const msg = (type: string, fields: Record<string, unknown> = {}): ControlMessage => ({ type: `${tag}.${type}`, ...fields });
    const mine = (m: ControlMessage) => m.type.startsWith(`${tag}.`);

    it('delivers to every instance, the publisher included, with the fields intact', async () => {
      const { a, b, cleanup } = await make();
      try {
        const atA: ControlMessage[] = [];
        const atB: ControlMessage[] = [];
        a.subscribe((m) => mine(m) && atA.push(m));
        b.subscribe((m) => mine(m) && atB.push(m));
        const sent = msg('hello', { app_id: 'x', n: 7, list: [['a', 'b', 3]], nested: { ok: true } });
        await a.publish(sent);
        await until(() => atA.length === 1 && atB.length === 1, 'both deliveries');
        assert.deepEqual(atA[0], sent);
        assert.deepEqual(atB[0], sent);
        atB[0]!.n = 8; // what one instance received is its own copy
        assert.equal(atA[0]!.n, 7);
      } finally {
        await cleanup();
      }
    });

    it('keeps each publisher\'s order, with two publishing at once', async () => {
      const { a, b, cleanup } = await make();
      try {
        const seen = new Map<string, Array<{ from: string; i: number }>>([['a', []], ['b', []]]);
        a.subscribe((m) => mine(m) && seen.get('a')!.push({ from: m.from as string, i: m.i as number }));
        b.subscribe((m) => mine(m) && seen.get('b')!.push({ from: m.from as string, i: m.i as number }));
        const N = 200;
        const pubs: Promise<void>[] = [];
        // Not awaited one by one: order must hold for publishes in flight together.
        for (let i = 0; i < N; i++) {
          pubs.push(a.publish(msg('seq', { from: 'a', i })));
          pubs.push(b.publish(msg('seq', { from: 'b', i })));
        }
        await Promise.all(pubs);
        await until(() => seen.get('a')!.length === 2 * N && seen.get('b')!.length === 2 * N, 'every message at both');
        for (const [at, list] of seen) {
          for (const from of ['a', 'b']) {
            const order = list.filter((m) => m.from === from).map((m) => m.i);
            assert.deepEqual(order, Array.from({ length: N }, (_, i) => i), `${from}'s messages in order at ${at}`);
          }
        }
      } finally {
        await cleanup();
      }
    });

    it('never delivers synchronously inside publish', async () => {
      const { a, b, cleanup } = await make();
      try {
        let delivered = 0;
        a.subscribe((m) => void (mine(m) && delivered++));
        b.subscribe((m) => void (mine(m) && delivered++));
        const p = a.publish(msg('async'));
        assert.equal(delivered, 0, 'no handler ran during publish');
        await p;
        await until(() => delivered === 2, 'delivery after publish');
      } finally {
        await cleanup();
      }
    });

    it('unsubscribe stops delivery to that handler only', async () => {
      const { a, b, cleanup } = await make();
      try {
        const kept: string[] = [];
        const dropped: string[] = [];
        b.subscribe((m) => mine(m) && kept.push(m.type));
        const off = b.subscribe((m) => mine(m) && dropped.push(m.type));
        await a.publish(msg('one'));
        await until(() => kept.length === 1 && dropped.length === 1, 'first message at both handlers');
        off();
        await a.publish(msg('two'));
        await a.publish(msg('three'));
        // The kept handler saw the later messages, so the dropped one would have by now.
        await until(() => kept.length === 3, 'later messages at the kept handler');
        assert.deepEqual(dropped, [`${tag}.one`]);
      } finally {
        await cleanup();
      }
    });

    it('calls reset handlers after a lost subscription, and delivers again afterwards', async () => {
      const { a, b, loseSubscription, cleanup } = await make();
      try {
        let resetsA = 0;
        let resetsB = 0;
        const offReset = a.onReset(() => void resetsA++);
        b.onReset(() => void resetsB++);
        const atA: ControlMessage[] = [];
        a.subscribe((m) => mine(m) && atA.push(m));
        await loseSubscription(a);
        await until(() => resetsA >= 1, 'reset handler of the instance that lost its subscription');
        assert.equal(resetsB, 0, 'the other instance lost nothing');
        // Once reset was called the instance is subscribed again.
        await b.publish(msg('after-reset'));
        await until(() => atA.some((m) => m.type === `${tag}.after-reset`), 'a message after the reset');
        // An unsubscribed reset handler is not called on the next loss.
        offReset();
        let later = 0;
        a.onReset(() => void later++);
        await loseSubscription(a);
        await until(() => later >= 1, 'second reset');
        assert.equal(resetsA, 1);
      } finally {
        await cleanup();
      }
    });

    it('a closed instance receives nothing; the other keeps working', async () => {
      const { a, b, cleanup } = await make();
      try {
        const atA: string[] = [];
        const atB: string[] = [];
        a.subscribe((m) => mine(m) && atA.push(m.type));
        b.subscribe((m) => mine(m) && atB.push(m.type));
        await a.close();
        await b.publish(msg('x'));
        await b.publish(msg('y'));
        await until(() => atB.length === 2, 'delivery to the open instance');
        assert.deepEqual(atA, []);
      } finally {
        await cleanup();
      }
    });
  });
}
