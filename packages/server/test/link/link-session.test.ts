import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { CLOSE_CODES, encodeTcpFrame } from '@parley/protocol';
import { startRig, sleep, waitUntil, within, type Rig } from './helpers.js';

/** The session behaviour is written once; the same tests run over both wires. */
for (const kind of ['ws', 'tcp'] as const) {
  describe(`link session over ${kind}`, () => {
    let rig: Rig | undefined;
    const start = async (opts = {}) => (rig = await startRig(opts));
    afterEach(async () => {
      await rig?.close();
      rig = undefined;
    });
    /** close code as each wire reports it: TCP has none */
    const code = (c: number) => (kind === 'ws' ? c : undefined);

    it('authenticates, opens upstream, relays frames and answers ping locally', async () => {
      const r = await start();
      const { c, ok } = await r.login(kind, 'alice', { platform: 'ios', device_id: 'd1' });
      assert.equal(ok.id, 'a1');
      assert.equal(ok.data.user_id, 'alice');
      assert.equal(ok.data.app_id, 'app1');
      assert.equal(ok.data.platform, 'ios');
      assert.equal(ok.data.heartbeat_ms, 30000);
      assert.equal(ok.data.commit_deadline_ms, 5000, 'the commit deadline clients judge holes by');
      assert.match(ok.data.conn_id, /^[A-Za-z0-9_-]{16}$/);
      await waitUntil(() => r.dispatcher.of('open').length === 1, 'open upstream');
      const s = r.dispatcher.of('open')[0].session;
      assert.deepEqual(
        { ...s, connected_at: 0, token_iat: 0 },
        { app_id: 'app1', user_id: 'alice', conn_id: ok.data.conn_id, link_id: 'L1', platform: 'ios', device_id: 'd1', connected_at: 0, token_iat: 0 },
      );
      assert.ok(Math.abs(s.token_iat - Date.now()) < 5000);

      c.send({ op: 'convs', id: 7 });
      assert.deepEqual(await c.next('convs reply'), { op: 'ok', id: 7, data: { op: 'convs' } });
      c.send({ op: 'ping', id: 8 });
      const pong = await c.next('pong');
      assert.equal(pong.op, 'pong');
      assert.equal(pong.id, 8);
      assert.equal(typeof pong.t, 'number');
      assert.deepEqual(r.dispatcher.of('frame').map((m) => m.kind === 'frame' && m.frame.op), ['convs']);
      assert.equal(r.link.connectionCount(), 1);
    });

    it('defaults the platform by wire', async () => {
      const r = await start();
      const { ok } = await r.login(kind);
      assert.equal(ok.data.platform, kind === 'ws' ? 'web' : 'desktop');
    });

    it('queues frames pipelined behind auth and sends them up after the open', async () => {
      const r = await start();
      const c = await r.connect(kind);
      c.send({ op: 'auth', id: 1, token: await r.token() });
      c.send({ op: 'convs', id: 2 });
      c.send({ op: 'history', id: 3, conv_id: 'g:x' });
      assert.equal((await c.next('auth ok')).id, 1);
      assert.equal((await c.next('convs')).id, 2);
      assert.equal((await c.next('history')).id, 3);
      assert.deepEqual(r.dispatcher.seen.map((m) => m.kind), ['open', 'frame', 'frame']);
    });

    it('rejects a bad token with token_invalid and closes with auth_failed', async () => {
      const r = await start();
      const c = await r.connect(kind);
      c.send({ op: 'auth', id: 1, token: 'not-a-jwt' });
      const err = await c.next('auth error');
      assert.deepEqual({ ...err, message: undefined }, { op: 'error', id: 1, code: 'token_invalid', message: undefined, retryable: false });
      assert.equal(await within(c.closed, 'close'), code(CLOSE_CODES.auth_failed));
      await sleep(20);
      assert.equal(r.dispatcher.seen.length, 0, 'nothing goes upstream for a failed auth');
    });

    it('rejects an expired token with token_expired and closes', async () => {
      const r = await start();
      const c = await r.connect(kind);
      c.send({ op: 'auth', id: 1, token: await r.token('alice', -60) });
      const err = await c.next('auth error');
      assert.equal(err.code, 'token_expired');
      assert.equal(await within(c.closed, 'close'), code(CLOSE_CODES.auth_failed));
      assert.equal(r.dispatcher.seen.length, 0);
    });

    it('answers any op before auth with unauthenticated and stays open', async () => {
      const r = await start();
      const c = await r.connect(kind);
      c.send({ op: 'convs', id: 5 });
      const err = await c.next('unauthenticated');
      assert.equal(err.code, 'unauthenticated');
      assert.equal(err.id, 5);
      c.send({ op: 'auth', id: 6, token: await r.token() });
      assert.equal((await c.next('auth ok')).op, 'ok');
      assert.equal(r.dispatcher.of('frame').length, 0);
    });

    it('answers malformed JSON, unknown ops and invalid fields, and the connection keeps working', async () => {
      const r = await start();
      const { c } = await r.login(kind);
      c.sendRaw(kind === 'ws' ? '{"op":' : encodeTcpFrame('{"op":'));
      assert.equal((await c.next('bad_frame')).code, 'bad_frame');
      c.send({ op: 'teleport', id: 11 });
      const unknown = await c.next('unknown_op');
      assert.deepEqual([unknown.code, unknown.id], ['unknown_op', 11]);
      c.send({ op: 'read', id: 12, conv_id: 'g:x', seq: -1 });
      const invalid = await c.next('invalid_field');
      assert.deepEqual([invalid.code, invalid.id], ['invalid_field', 12]);
      c.send({ op: 'auth', id: 13, token: await r.token() });
      const again = await c.next('already_authenticated');
      assert.deepEqual([again.code, again.id], ['already_authenticated', 13]);
      c.send({ op: 'convs', id: 14 });
      assert.deepEqual(await c.next('convs'), { op: 'ok', id: 14, data: { op: 'convs' } });
      assert.equal(c.isClosed(), false);
      assert.equal(r.dispatcher.of('frame').length, 1, 'only the valid frame went upstream');
    });

    it('rate limits with rate_limited, keeps the connection, and recovers after a pause', async () => {
      const r = await start({ rateLimit: { perSec: 20, burst: 5 } });
      const { c } = await r.login(kind); // the auth frame took one token
      for (let i = 0; i < 10; i++) c.send({ op: 'ping', id: i });
      const got = [];
      for (let i = 0; i < 10; i++) got.push(await c.next(`reply ${i}`));
      const pongs = got.filter((f) => f.op === 'pong').length;
      const limited = got.filter((f) => f.op === 'error' && f.code === 'rate_limited' && f.retryable === true).length;
      assert.equal(pongs + limited, 10);
      assert.deepEqual(got.map((f) => f.id), [...Array(10).keys()], 'every answer carries its request id');
      assert.ok(pongs >= 4 && pongs <= 6, `pongs ${pongs}`);
      await sleep(400); // refills 8 tokens at 20/s
      c.send({ op: 'ping', id: 'after' });
      assert.deepEqual((await c.next('pong after pause')).id, 'after');
      assert.equal(c.isClosed(), false);
    });

    it('closes with policy after too many consecutive rate-limit violations', async () => {
      const r = await start({ rateLimit: { perSec: 1, burst: 2, maxViolations: 5 } });
      const { c } = await r.login(kind);
      for (let i = 0; i < 10; i++) c.send({ op: 'ping', id: i });
      assert.equal(await within(c.closed, 'policy close'), code(CLOSE_CODES.policy));
      await waitUntil(() => r.dispatcher.of('close').length === 1, 'close upstream');
    });

    it('closes a silent connection after twice the heartbeat interval', async () => {
      const r = await start({ heartbeatMs: 100 });
      const { c } = await r.login(kind);
      const t0 = Date.now();
      // Pings keep it alive past the deadline...
      for (let i = 0; i < 4; i++) {
        await sleep(80);
        c.send({ op: 'ping', id: i });
        assert.equal((await c.next('pong')).op, 'pong');
      }
      assert.equal(c.isClosed(), false);
      // ...silence closes it.
      assert.equal(await within(c.closed, 'heartbeat close', 2000), code(CLOSE_CODES.heartbeat_timeout));
      assert.ok(Date.now() - t0 >= 300);
      await waitUntil(() => r.dispatcher.of('close').length === 1, 'close upstream');
      assert.equal(r.link.connectionCount(), 0);
    });

    it('closes a connection that does not authenticate in time', async () => {
      const r = await start({ authTimeoutMs: 150 });
      const c = await r.connect(kind);
      const err = await c.next('auth timeout notice');
      assert.equal(err.code, 'unauthenticated');
      assert.equal(await within(c.closed, 'auth timeout close'), code(CLOSE_CODES.auth_failed));
      assert.equal(r.dispatcher.seen.length, 0);
    });

    it('sends close upstream when the client goes away', async () => {
      const r = await start();
      const { c, ok } = await r.login(kind);
      c.end();
      await waitUntil(() => r.dispatcher.of('close').length === 1, 'close upstream');
      assert.equal(r.dispatcher.of('close')[0].session.conn_id, ok.data.conn_id);
      await waitUntil(() => r.link.connectionCount() === 0, 'connection released');
    });
  });
}
