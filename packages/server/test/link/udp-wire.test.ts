import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { Packr } from 'msgpackr';
import { UDP_HEADER_BYTES, UDP_HELLO_MIN_BYTES, UdpType, decodeUdpClose, encodeUdpDatagram, randomConnId, type UdpDatagram } from '@parley/protocol/udp';
import { ParleyClient, udpConnection } from '@parley/sdk/node';
import type { UdpListenerOptions } from '../../src/link/udp-listener.js';
import { startRig, waitUntil, within, type Rig } from './helpers.js';
import { LossyRelay, RawUdpClient, eventCounter, malformedDatagrams } from './udp-helpers.js';

const LONG = 20_000;
const FAST = { initialRtoMs: 50, minRtoMs: 20, maxRtoMs: 500 };

describe('link UDP wire', () => {
  let rig: Rig | undefined;
  const cleanups: (() => Promise<unknown> | void)[] = [];
  const start = async (linkOpts: Parameters<typeof startRig>[0] = {}, udp: UdpListenerOptions = {}) => {
    const ev = eventCounter();
    rig = await startRig({ metrics: ev.metrics, closeGraceMs: 500, ...linkOpts });
    const port = await rig.link.listenUdp(0, '127.0.0.1', { channel: FAST, ...udp });
    return { r: rig, port, ev: ev.counts };
  };
  const raw = async (port: number) => {
    const c = await RawUdpClient.open(port);
    cleanups.push(() => c.close());
    return c;
  };
  afterEach(async () => {
    // The link first: its goodbyes are acknowledged by clients still running.
    await rig?.close();
    rig = undefined;
    for (const f of cleanups.splice(0).reverse()) await f();
  });

  it('the SDK authenticates, pings and gets request answers over UDP, as on the other wires', async () => {
    const { r, port } = await start();
    const client = new ParleyClient({ connect: udpConnection('127.0.0.1', port), token: await r.token('alice'), platform: 'ios', reconnect: false });
    cleanups.push(() => client.close());
    await within(client.connect(), 'connect');
    assert.equal(client.userId, 'alice');
    assert.deepEqual(await within(client.request('convs', {}), 'convs'), { op: 'convs' });
    const opened = r.dispatcher.of('open');
    assert.equal(opened.length, 1);
    assert.equal((opened[0] as { session: { platform: string } }).session.platform, 'ios');
    assert.equal(r.link.connectionCount(), 1);
  });

  it('an SDK client whose connection the server forgot gets RESET and reconnects with a new one', async () => {
    const { r, port, ev } = await start({}, { idleMs: 300 });
    const udp = udpConnection('127.0.0.1', port, { keepaliveMs: 60_000 });
    const client = new ParleyClient({ connect: udp, token: await r.token('alice'), reconnect: { minMs: 20, maxMs: 200, factor: 2, jitter: 0 } });
    cleanups.push(() => client.close());
    const states: string[] = [];
    client.on('state', (s) => states.push(s.state));
    await within(client.connect(), 'connect');
    const first = client.session!.conn_id;
    await waitUntil(() => ev.get('idle_expired') === 1, 'server forgets the silent connection', LONG);
    await assert.rejects(client.request('convs', {}, { timeoutMs: LONG }), /server does not know this connection/);
    await waitUntil(() => client.state === 'open' && client.session!.conn_id !== first, 'reconnected', LONG);
    assert.deepEqual(await within(client.request('convs', {}), 'convs after reconnect'), { op: 'convs' });
    assert.equal(udp.stats.connections, 2);
    assert.ok((ev.get('unknown_conn') ?? 0) >= 1);
    assert.deepEqual(states.slice(0, 4), ['connecting', 'open', 'reconnecting', 'open']);
  });

  it('a kick crosses UDP: the SDK gets the kicked push and does not reconnect', async () => {
    const { r, port } = await start();
    const udp = udpConnection('127.0.0.1', port);
    const client = new ParleyClient({ connect: udp, token: await r.token('alice'), reconnect: { minMs: 20, maxMs: 200, factor: 2, jitter: 0 } });
    cleanups.push(() => client.close());
    const kicked: string[] = [];
    client.on('kicked', (k) => kicked.push(k.reason));
    await within(client.connect(), 'connect');
    const conn = (r.dispatcher.of('open')[0] as { session: { conn_id: string; link_id: string } }).session;
    r.dispatcher.down({ kind: 'kick', link_id: conn.link_id, conn_id: conn.conn_id, payload: JSON.stringify({ op: 'kicked', reason: 'replaced' }) });
    await waitUntil(() => client.state === 'closed', 'client closed', LONG);
    assert.deepEqual(kicked, ['replaced']);
    await waitUntil(() => r.dispatcher.of('close').length === 1, 'close upstream', LONG);
    assert.equal(udp.stats.connections, 1, 'no reconnect after a kick');
  });

  it('a server close reaches the client as CLOSE with the close code', async () => {
    const { r, port } = await start();
    const c = await raw(port);
    assert.equal((await c.login(await r.token())).op, 'ok');
    const conn = (r.dispatcher.of('open')[0] as { session: { conn_id: string; link_id: string } }).session;
    r.dispatcher.down({ kind: 'kick', link_id: conn.link_id, conn_id: conn.conn_id, payload: JSON.stringify({ op: 'kicked', reason: 'admin' }) });
    assert.deepEqual(await c.next('kicked'), { op: 'kicked', reason: 'admin' });
    await c.until(() => c.got(UdpType.close) >= 1, 'close datagram');
    const bye = c.datagrams.find((x) => typeof x.d !== 'string' && x.d.type === UdpType.close)!.d as UdpDatagram;
    assert.deepEqual(decodeUdpClose(bye.payload), { code: 4002, reason: 'kicked' });
    await waitUntil(() => r.link.connectionCount() === 0, 'connection gone');
  });

  it('frames over one datagram are split and reassembled, both ways, through loss', async () => {
    const { r, port } = await start();
    const relay = await LossyRelay.start(port, { up: { drop: 0.2, duplicate: 0.05, reorder: 0.1 }, down: { drop: 0.2, duplicate: 0.05, reorder: 0.1 } }, 7);
    cleanups.push(() => relay.close());
    const c = await RawUdpClient.open(relay.port);
    cleanups.push(() => c.close());
    // HELLO and auth go through the same lossy relay: repeat the HELLO until answered.
    const hello = setInterval(() => c.got(UdpType.hello_ok) === 0 && c.hello(), 100);
    c.hello();
    await c.until(() => c.got(UdpType.hello_ok) > 0, 'hello_ok', LONG);
    clearInterval(hello);
    c.send({ op: 'auth', id: 'a', token: await r.token('alice') });
    assert.equal((await c.next('auth ok', LONG)).op, 'ok');
    const ids = Array.from({ length: 200 }, (_, i) => `user-${i}-${'x'.repeat(50)}`);
    c.send({ op: 'presence', id: 2, user_ids: ids }); // ~12 KB: eleven datagrams
    assert.deepEqual(await c.next('presence answer', LONG), { op: 'ok', id: 2, data: { op: 'presence' } });
    const up = r.dispatcher.of('frame').map((m) => (m as { frame: { op: string; user_ids?: string[] } }).frame);
    assert.deepEqual(up.find((f) => f.op === 'presence')?.user_ids, ids);
    const conn = (r.dispatcher.of('open')[0] as { session: { conn_id: string; link_id: string } }).session;
    const big = 'y'.repeat(30_000);
    r.dispatcher.down({ kind: 'send', link_id: conn.link_id, conn_id: conn.conn_id, payload: JSON.stringify({ op: 'typing', conv_id: big, user_id: 'bob' }) });
    const got = await c.next('big push', LONG);
    assert.equal(got.conv_id, big);
    assert.ok(c.channel.stats.packetsReceived >= 26, 'the push came in pieces');
    assert.ok(relay.up.dropped + relay.down.dropped > 0, 'the relay dropped datagrams');
  });

  it('a frame over max_frame_bytes gets frame_too_large and the connection keeps working', async () => {
    const { r, port } = await start({ maxFrameBytes: 4096 });
    const c = await raw(port);
    assert.equal((await c.login(await r.token())).op, 'ok');
    c.send({ op: 'presence', id: 2, user_ids: Array.from({ length: 100 }, (_, i) => `u${i}-${'z'.repeat(60)}`) });
    const err = await c.next('frame_too_large');
    assert.equal(err.op, 'error');
    assert.equal(err.code, 'frame_too_large');
    c.send({ op: 'ping', id: 3 });
    const pong = await c.next('pong');
    assert.equal(pong.op, 'pong');
    assert.equal(pong.id, 3);
    assert.equal(r.dispatcher.of('frame').length, 0);
  });

  it('garbage datagrams are dropped and counted, and the server keeps serving', async () => {
    const { r, port, ev } = await start();
    const good = await raw(port);
    assert.equal((await good.login(await r.token())).op, 'ok');
    const bad = await raw(port);
    const kinds = malformedDatagrams(bad.connId);
    for (const k of kinds) bad.raw(k.bytes);
    for (let i = 0; i < 200; i++) bad.raw(crypto.getRandomValues(new Uint8Array(1 + (i % 1300))));
    // On an authenticated connection: a body that is not MessagePack, then one that is not an object.
    good.channel.send(new Uint8Array([0xc1, 0xc1, 0xc1]));
    assert.equal((await good.next('bad_frame')).code, 'bad_frame');
    good.channel.send(new Packr({ useRecords: false }).pack([1, 2, 3]));
    assert.equal((await good.next('bad_frame')).code, 'bad_frame');
    // Server-only types from the client, on its own connection and address: counted, not acted on.
    good.raw(good.channel.control(UdpType.reset));
    good.raw(good.channel.control(UdpType.rebind_ok));
    good.send({ op: 'convs', id: 9 });
    assert.deepEqual(await good.next('answer after garbage'), { op: 'ok', id: 9, data: { op: 'convs' } });
    await waitUntil(() => kinds.every((k) => (ev.get(k.event) ?? 0) >= 1), 'garbage counted');
    assert.equal(ev.get('hello_short'), 1);
    assert.equal(ev.get('unexpected_type'), 2);
    assert.equal(ev.get('bad_frame'), 1, 'the non-MessagePack body (the array is valid MessagePack, refused by the schema)');
    // Nothing answered the garbage, not even the short HELLO.
    assert.equal(bad.datagrams.length, 0);
    assert.equal(r.link.connectionCount(), 1);
  });

  it('an unknown connection id gets a header-only RESET; a reset or close is never answered', async () => {
    const { port, ev } = await start();
    const c = await raw(port);
    c.raw(encodeUdpDatagram({ type: UdpType.ping, flags: 0, connId: c.connId, packet: 0, ack: 0, ackBits: 0 }));
    await c.until(() => c.got(UdpType.reset) === 1, 'reset');
    assert.equal(c.datagrams[0]!.size, UDP_HEADER_BYTES);
    c.raw(encodeUdpDatagram({ type: UdpType.reset, flags: 0, connId: c.connId, packet: 0, ack: 0, ackBits: 0 }));
    c.raw(encodeUdpDatagram({ type: UdpType.close, flags: 0, connId: c.connId, packet: 0, ack: 0, ackBits: 0 }));
    await waitUntil(() => ev.get('unknown_conn') === 3, 'counted');
    c.raw(encodeUdpDatagram({ type: UdpType.ping, flags: 0, connId: c.connId, packet: 0, ack: 0, ackBits: 0 }));
    await c.until(() => c.got(UdpType.reset) === 2, 'second reset');
    assert.equal(c.datagrams.length, 2);
  });

  it('before auth the server never sends more bytes than it received, nor a datagram over 1,200 bytes', async () => {
    const { port, ev } = await start({ rateLimit: { perSec: 10_000, burst: 10_000 } });
    const c = await raw(port);
    c.hello();
    await c.until(() => c.got(UdpType.hello_ok) === 1, 'hello_ok');
    // Small unauthenticated frames, each answered with a larger `unauthenticated` error.
    for (let i = 0; i < 40; i++) c.send({ op: 'convs', id: i });
    await waitUntil(() => (ev.get('amplification_held') ?? 0) > 0, 'replies held back by the credit');
    await c.until(() => c.frames.length > 0, 'some errors');
    const received = c.datagrams.reduce((n, x) => n + x.size, 0);
    assert.ok(received <= c.bytesSent, `received ${received} > sent ${c.bytesSent}`);
    assert.ok(c.datagrams.every((x) => x.size <= UDP_HELLO_MIN_BYTES));
    assert.ok(c.frames.every((f) => f.code === 'unauthenticated'));
  });

  it('a token does not validate an address: until the client echoes the cookie, the server sends no more than it got', async () => {
    const { r, port, ev } = await start();
    const c = await raw(port);
    // A spoofer with a valid token of its own: it never sees what the server sends to the address it claims.
    c.echoCookie = false;
    assert.equal((await c.login(await r.token('alice'))).op, 'ok');
    const conn = (r.dispatcher.of('open')[0] as { session: { conn_id: string; link_id: string } }).session;
    const big = 'y'.repeat(30_000);
    r.dispatcher.down({ kind: 'send', link_id: conn.link_id, conn_id: conn.conn_id, payload: JSON.stringify({ op: 'typing', conv_id: big, user_id: 'bob' }) });
    await waitUntil(() => (ev.get('amplification_held') ?? 0) > 0, 'the push held back by the credit');
    const received = () => c.datagrams.reduce((n, x) => n + x.size, 0);
    assert.ok(received() <= c.bytesSent, `received ${received()} > sent ${c.bytesSent}`);
    assert.equal(c.frames.length, 0, 'the 30 KB push did not go out');
    // The real client echoes the cookie of its HELLO_OK: the address is validated and the push flows.
    const helloOk = c.datagrams.find((x) => typeof x.d !== 'string' && x.d.type === UdpType.hello_ok)!.d as UdpDatagram;
    assert.equal(helloOk.payload.length, 8, 'HELLO_OK carries an 8-byte cookie');
    c.raw(c.channel.control(UdpType.ping, helloOk.payload));
    assert.equal((await c.next('the push once validated')).conv_id, big);
    assert.equal(ev.get('address_validated'), 1);
  });

  it('datagrams over the per-address rate are dropped and counted', async () => {
    const { port, ev } = await start({}, { ratePerSec: 10, rateBurst: 20 });
    const c = await raw(port);
    const ping = encodeUdpDatagram({ type: UdpType.ping, flags: 0, connId: randomConnId(), packet: 0, ack: 0, ackBits: 0 });
    const seen = () => (ev.get('rate_limited') ?? 0) + (ev.get('unknown_conn') ?? 0);
    const started = Date.now();
    for (let i = 0; i < 30; i++) {
      for (let k = 0; k < 10; k++) c.raw(ping);
      // Let the server read: a loaded machine would otherwise overflow the socket's receive buffer.
      await waitUntil(() => seen() >= 10 * i + 5, 'server reading', 10_000).catch(() => undefined);
    }
    await waitUntil(() => seen() >= 290, 'nearly all 300 seen (a few may be lost on loopback under load)', LONG).catch(() => undefined);
    const elapsedSec = (Date.now() - started) / 1000;
    const passed = ev.get('unknown_conn') ?? 0;
    // What passed is the burst plus the refill at 10/s over the time the loop took; the rest was dropped.
    assert.ok(passed <= 20 + Math.ceil(10 * elapsedSec) + 1, `passed ${passed} in ${elapsedSec} s`);
    assert.ok((ev.get('rate_limited') ?? 0) >= 1, 'some were rate limited');
    assert.ok(passed + (ev.get('rate_limited') ?? 0) >= 100);
    assert.ok(c.got(UdpType.reset) <= passed, 'only admitted datagrams were answered');
  });

  it('a peer that stops acknowledging is declared gone after the resends, and its close goes upstream', async () => {
    const { r, port, ev } = await start({}, { channel: { initialRtoMs: 20, minRtoMs: 10, maxRtoMs: 100, maxResends: 3 } });
    const relay = await LossyRelay.start(port);
    cleanups.push(() => relay.close());
    const c = await RawUdpClient.open(relay.port);
    cleanups.push(() => c.close());
    assert.equal((await c.login(await r.token())).op, 'ok');
    relay.impairment = { up: { drop: 1, duplicate: 0, reorder: 0 }, down: { drop: 1, duplicate: 0, reorder: 0 } };
    const conn = (r.dispatcher.of('open')[0] as { session: { conn_id: string; link_id: string } }).session;
    r.dispatcher.down({ kind: 'send', link_id: conn.link_id, conn_id: conn.conn_id, payload: JSON.stringify({ op: 'typing', conv_id: 'c', user_id: 'b' }) });
    await waitUntil(() => r.dispatcher.of('close').length === 1, 'close upstream', LONG);
    assert.equal(ev.get('gone'), 1);
    assert.equal(r.link.connectionCount(), 0);
    assert.ok((ev.get('resend') ?? 0) >= 3);
  });

  it('a connection silent past idleMs is forgotten', async () => {
    const { r, port, ev } = await start({ authTimeoutMs: 60_000 }, { idleMs: 200 });
    const c = await raw(port);
    c.hello();
    await c.until(() => c.got(UdpType.hello_ok) === 1, 'hello_ok');
    assert.equal(r.link.connectionCount(), 1);
    await waitUntil(() => r.link.connectionCount() === 0, 'idle expiry', LONG);
    assert.equal(ev.get('idle_expired'), 1);
  });

  it("the SDK's keepalive PINGs are answered and hold an otherwise silent connection past idleMs", async () => {
    const IDLE = 3000;
    const KEEPALIVE = 50;
    const { r, port, ev } = await start({ heartbeatMs: 60_000 }, { idleMs: IDLE });
    const relay = await LossyRelay.start(port); // clean: only counts what crosses it
    cleanups.push(() => relay.close());
    const udp = udpConnection('127.0.0.1', relay.port, { keepaliveMs: KEEPALIVE });
    const client = new ParleyClient({ connect: udp, token: await r.token('alice'), reconnect: false });
    cleanups.push(() => client.close());
    await within(client.connect(), 'connect');
    const conn = client.session!.conn_id;
    // No frames for this long (the session heartbeat is 60 s): only PINGs cross, enough of them to span 2 × idleMs.
    const pings = Math.ceil((2 * IDLE) / KEEPALIVE) + 10;
    await waitUntil(() => (relay.up.types.get(UdpType.ping) ?? 0) >= pings, `${pings} keepalive PINGs`, 60_000);
    assert.ok((relay.down.types.get(UdpType.ack) ?? 0) >= pings - 5, 'each PING is answered by an ACK (the mapping sees traffic both ways)');
    assert.equal(ev.get('idle_expired'), undefined);
    assert.equal(r.link.connectionCount(), 1);
    assert.deepEqual(await within(client.request('convs', {}), 'convs'), { op: 'convs' });
    assert.equal(client.session!.conn_id, conn);
    assert.equal(udp.stats.connections, 1);
  });

  it('a new address is taken only with a valid token of the same user', async () => {
    const { r, port, ev } = await start();
    const c = await raw(port);
    assert.equal((await c.login(await r.token('alice'))).op, 'ok');
    await c.newSocket(); // the same connection id, seen from a new port
    const seen = c.datagrams.length;
    c.raw(c.channel.control(UdpType.ping));
    await c.until(() => c.got(UdpType.prove) === 1, 'prove');
    assert.equal(c.datagrams[seen]!.size, UDP_HEADER_BYTES);
    c.raw(c.channel.control(UdpType.rebind, new TextEncoder().encode(await r.token('mallory'))));
    await waitUntil(() => ev.get('rebind_refused') === 1, 'refused: another user');
    c.raw(c.channel.control(UdpType.rebind, new TextEncoder().encode('not-a-token')));
    await waitUntil(() => ev.get('rebind_refused') === 2, 'refused: bad token');
    assert.equal(c.got(UdpType.rebind_ok), 0);
    c.raw(c.channel.control(UdpType.rebind, new TextEncoder().encode(await r.token('alice'))));
    await c.until(() => c.got(UdpType.rebind_ok) === 1, 'rebind_ok');
    assert.equal(ev.get('rebind'), 1);
    c.send({ op: 'convs', id: 6 });
    assert.equal((await c.next('answer at the new address')).id, 6);
    assert.equal(ev.get('address_validated'), 2, 'the cookies of HELLO_OK and of REBIND_OK were echoed');

    // A second move, by someone holding the token who claims an address it does not receive at:
    // until the REBIND_OK cookie comes back, that address gets no more bytes than came from it.
    await c.newSocket();
    c.echoCookie = false;
    const [sent, at] = [c.bytesSent, c.datagrams.length];
    const poke = setInterval(() => c.raw(c.channel.control(UdpType.ping)), 50); // PROVEs are spaced 100 ms apart
    await c.until(() => c.got(UdpType.prove) >= 2, 'second prove').finally(() => clearInterval(poke));
    c.raw(c.channel.control(UdpType.rebind, new TextEncoder().encode(await r.token('alice'))));
    await c.until(() => c.got(UdpType.rebind_ok) === 2, 'second rebind_ok');
    const conn = (r.dispatcher.of('open')[0] as { session: { conn_id: string; link_id: string } }).session;
    const big = 'm'.repeat(20_000);
    r.dispatcher.down({ kind: 'send', link_id: conn.link_id, conn_id: conn.conn_id, payload: JSON.stringify({ op: 'typing', conv_id: big, user_id: 'bob' }) });
    await waitUntil(() => (ev.get('amplification_held') ?? 0) > 0, 'held at the unvalidated address');
    const got = c.datagrams.slice(at).reduce((n, x) => n + x.size, 0);
    assert.ok(got <= c.bytesSent - sent, `the new address got ${got} bytes for ${c.bytesSent - sent}`);
    assert.equal(c.frames.length, 0);
    const rebindOk = c.datagrams.slice(at).find((x) => typeof x.d !== 'string' && x.d.type === UdpType.rebind_ok)!.d as UdpDatagram;
    c.raw(c.channel.control(UdpType.ping, rebindOk.payload));
    assert.equal((await c.next('the push once the new address is validated')).conv_id, big);
    assert.equal(ev.get('address_validated'), 3);
    assert.equal(r.dispatcher.of('close').length, 0, 'the session survived');
    assert.equal(r.dispatcher.of('open').length, 1);
  });

  it('shutdown tells UDP clients and closes the socket once they are gone', async () => {
    const { r, port } = await start();
    const c = await raw(port);
    assert.equal((await c.login(await r.token())).op, 'ok');
    await within(r.link.close(), 'link close', LONG);
    await c.until(() => c.got(UdpType.close) >= 1, 'close datagram');
    const err = c.frames.find((f) => f.op === 'error');
    assert.equal(err?.code, 'shutting_down');
    assert.equal(r.link.connectionCount(), 0);
  });
});
