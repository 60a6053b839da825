import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { CLOSE_CODES } from '@parley/protocol';
import { Metrics } from '../../src/metrics.js';
import type { LinkMetrics } from '../../src/link/link-metrics.js';
import { startRig, sleep, waitUntil, within, type Rig } from './helpers.js';

describe('link downstream and lifecycle', () => {
  let rig: Rig | undefined;
  const start = async (opts = {}) => (rig = await startRig(opts));
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  });

  it('pushes one payload to many connections across both wires, only to those listed', async () => {
    const r = await start();
    const a = await r.login('ws', 'alice');
    const b = await r.login('tcp', 'bob');
    const c = await r.login('ws', 'carol');
    const d = await r.login('tcp', 'dave');
    const payload = JSON.stringify({ op: 'typing', conv_id: 'g:x', user_id: 'erin' });
    r.dispatcher.down({ kind: 'push', link_id: 'L1', conn_ids: [a.ok.data.conn_id, b.ok.data.conn_id, c.ok.data.conn_id, 'gone-already'], payload });
    for (const x of [a, b, c]) assert.deepEqual(await x.c.next('push'), JSON.parse(payload));
    // dave was not listed: his next frame is the answer to his own ping.
    d.c.send({ op: 'ping', id: 'd' });
    assert.equal((await d.c.next('dave pong')).op, 'pong');
    assert.equal(d.c.queued.length, 0);
  });

  it('sends a reply to one connection only', async () => {
    const r = await start();
    const a = await r.login('tcp', 'alice');
    const b = await r.login('tcp', 'alice');
    r.dispatcher.down({ kind: 'send', link_id: 'L1', conn_id: b.ok.data.conn_id, payload: '{"op":"read","conv_id":"g:x","user_id":"z","seq":3}' });
    assert.equal((await b.c.next('send')).seq, 3);
    await sleep(30);
    assert.equal(a.c.queued.length, 0);
  });

  for (const kind of ['ws', 'tcp'] as const) {
    it(`kick over ${kind} writes the payload, then closes`, async () => {
      const r = await start();
      const { c, ok } = await r.login(kind);
      r.dispatcher.down({ kind: 'kick', link_id: 'L1', conn_id: ok.data.conn_id, payload: '{"op":"kicked","reason":"replaced"}' });
      assert.deepEqual(await c.next('kicked'), { op: 'kicked', reason: 'replaced' });
      assert.equal(await within(c.closed, 'close after kick'), kind === 'ws' ? CLOSE_CODES.kicked : undefined);
      await waitUntil(() => r.dispatcher.of('close').length === 1, 'close upstream');
      // Downstream to the gone connection is ignored.
      r.dispatcher.down({ kind: 'send', link_id: 'L1', conn_id: ok.data.conn_id, payload: '{}' });
      await sleep(20);
    });

    it(`closes a slow ${kind} consumer once its send buffer is full`, async () => {
      const r = await start({ maxSendBufferBytes: 256 * 1024, closeGraceMs: 200 });
      const { c, ok } = await r.login(kind);
      // Stop reading, so the kernel buffers fill and then the link's.
      if (kind === 'ws') (c as unknown as { ws: { pause(): void } }).ws.pause();
      else (c as unknown as { socket: { pause(): void } }).socket.pause();
      const payload = JSON.stringify({ op: 'typing', conv_id: 'g:x', user_id: 'x'.repeat(60 * 1024) });
      for (let i = 0; i < 400 && r.link.connectionCount() > 0; i++) {
        r.dispatcher.down({ kind: 'send', link_id: 'L1', conn_id: ok.data.conn_id, payload });
        await sleep(1);
      }
      await waitUntil(() => r.dispatcher.of('close').length === 1, 'close upstream of the slow consumer', 5000);
      assert.equal(r.dispatcher.of('close')[0].session.conn_id, ok.data.conn_id);
      assert.equal(r.link.connectionCount(), 0);
    });
  }

  it('graceful close tells every client, sends every close upstream, then resolves', async () => {
    const r = await start();
    const w = await r.login('ws', 'alice');
    const t = await r.login('tcp', 'bob');
    const unauth = await r.connect('ws');
    await waitUntil(() => r.link.connectionCount() === 3, 'three connections');
    await within(r.link.close(), 'link close');
    assert.equal(r.link.connectionCount(), 0);
    assert.equal((await w.c.next('shutdown notice')).code, 'shutting_down');
    assert.equal((await t.c.next('shutdown notice')).code, 'shutting_down');
    assert.equal(await within(w.c.closed, 'ws close'), CLOSE_CODES.going_away);
    assert.equal(await within(unauth.closed, 'unauth ws close'), CLOSE_CODES.going_away);
    await within(t.c.closed, 'tcp close');
    await waitUntil(() => r.dispatcher.of('close').length === 2, 'both closes upstream');
    assert.deepEqual(
      r.dispatcher.of('close').map((m) => m.session.user_id).sort(),
      ['alice', 'bob'],
    );
    // No new connections after close.
    await assert.rejects(r.connect('tcp'));
  });

  it('reports connections and frames to prom-client metrics', async () => {
    const m = new Metrics({ defaultMetrics: false });
    const metrics: LinkMetrics = m; // the platform's Metrics fits the link's narrow interface
    const r = await start({ metrics });
    const a = await r.login('ws');
    const b = await r.login('tcp');
    a.c.send({ op: 'ping', id: 1 });
    await a.c.next('pong');
    b.c.send({ op: 'nope', id: 2 });
    await b.c.next('unknown_op');
    const gauge = async () => Object.fromEntries((await m.connections.get()).values.map((v) => [v.labels.transport, v.value]));
    assert.deepEqual(await gauge(), { ws: 1, tcp: 1 });
    const framesIn = Object.fromEntries((await m.framesIn.get()).values.map((v) => [v.labels.op, v.value]));
    assert.deepEqual(framesIn, { auth: 2, ping: 1, _invalid: 1 });
    assert.equal((await m.framesOut.get()).values[0].value, 4); // 2 auth ok, pong, error
    assert.equal((await m.frameErrors.get()).values.find((v) => v.labels.code === 'unknown_op')?.value, 1);
    b.c.end();
    await waitUntil(() => r.link.connectionCount() === 1, 'tcp client gone');
    assert.deepEqual(await gauge(), { ws: 1, tcp: 0 });
  });
});
