import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { EventBus, ParleyEvent } from '../../src/bus/event-bus.js';

async function until(pred: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timeout');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The EventBus seam's promises; run against every implementation (in-process now, NATS later). */
export function runBusContract(name: string, make: () => Promise<{ bus: EventBus; cleanup: () => Promise<void> }>): void {
  describe(`EventBus contract: ${name}`, () => {
    const app = `app_${randomBytes(4).toString('hex')}`;
    const ev = (i: number, appId = app): ParleyEvent => ({ id: `${appId}-${i}`, type: 'message.created', app_id: appId, at: Date.now(), data: { i } });

    it('delivers an app\'s events in publish order to its subscribers and to "*"', async () => {
      const { bus, cleanup } = await make();
      try {
        const mine: number[] = [];
        const all: string[] = [];
        await bus.subscribe(app, (e) => void mine.push(e.data.i as number));
        await bus.subscribe('*', (e) => void all.push(e.id));
        for (let i = 0; i < 20; i++) await bus.publish(ev(i));
        await bus.publish(ev(99, `${app}_other`));
        await until(() => mine.length === 20 && all.length >= 21);
        assert.deepEqual(mine, Array.from({ length: 20 }, (_, i) => i));
        assert.ok(all.includes(`${app}_other-99`));
        assert.ok(!mine.includes(99), 'another app\'s events are not delivered to this app\'s subscriber');
      } finally {
        await cleanup();
      }
    });

    it('a failing subscriber does not affect the publisher or other subscribers; unsubscribe stops delivery', async () => {
      const { bus, cleanup } = await make();
      try {
        const got: number[] = [];
        await bus.subscribe(app, () => {
          throw new Error('subscriber bug');
        });
        const off = await bus.subscribe(app, (e) => void got.push(e.data.i as number));
        await bus.publish(ev(1));
        await until(() => got.length === 1);
        await off();
        await bus.publish(ev(2));
        await new Promise((r) => setTimeout(r, 50));
        assert.deepEqual(got, [1]);
      } finally {
        await cleanup();
      }
    });
  });
}

/**
 * Consumer groups (two processes on one bus backend; the in-process bus
 * passes the same bus twice): subscribers of one group share the events,
 * every event reaches the group, and an ungrouped subscriber still gets all.
 */
export function runGroupBusContract(name: string, makePair: () => Promise<{ a: EventBus; b: EventBus; cleanup: () => Promise<void> }>): void {
  describe(`EventBus contract, consumer groups: ${name}`, () => {
    const app = `app_${randomBytes(4).toString('hex')}`;

    it('two subscribers in one group each get a share, and every event is delivered', async () => {
      const { a, b, cleanup } = await makePair();
      try {
        const atA: string[] = [];
        const atB: string[] = [];
        const everyone: string[] = [];
        // Handlers take a moment, as webhook calls do, so neither member can take everything at once.
        const slow = (into: string[]) => async (e: ParleyEvent) => {
          into.push(e.id);
          await new Promise((r) => setTimeout(r, 2));
        };
        await a.subscribe(app, slow(atA), { group: 'hooks' });
        await b.subscribe(app, slow(atB), { group: 'hooks' });
        await b.subscribe(app, (e) => void everyone.push(e.id));
        const N = 120;
        for (let i = 0; i < N; i++) await a.publish({ id: `${app}-g${i}`, type: 'message.created', app_id: app, at: Date.now(), data: { i } });
        await until(() => new Set([...atA, ...atB]).size === N && everyone.length >= N, 30_000);
        assert.ok(atA.length > 0 && atB.length > 0, `both members got a share (${atA.length} + ${atB.length})`);
        assert.equal(new Set(everyone).size, N, 'the ungrouped subscriber got every event');
      } finally {
        await cleanup();
      }
    });
  });
}
