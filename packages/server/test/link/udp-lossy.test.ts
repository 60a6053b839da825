import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { ParleyClient, udpConnection, type ConnectionFactory, type UdpConnectionFactory } from '@parley/sdk/node';
import type { Message } from '@parley/protocol';
import { UDP_HEADER_BYTES, UDP_HELLO_MIN_BYTES, UdpType, encodeUdpDatagram, randomConnId } from '@parley/protocol/udp';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.js';
import { waitUntil, within } from './helpers.js';
import { LossyRelay, malformedDatagrams, type Impairment } from './udp-helpers.js';

/**
 * The whole platform, two SDK clients over UDP, each behind its own lossy
 * relay: 20% of datagrams dropped, 5% duplicated, 10% reordered, in both
 * directions. Resend timers are tuned for loopback through options.
 */
const LOSSY: Impairment = { drop: 0.2, duplicate: 0.05, reorder: 0.1 };
const PER_USER = 5_000;
const MAX_IN_FLIGHT = 64;
const BOUND_MS = 150_000;
const CHANNEL = { initialRtoMs: 60, minRtoMs: 40, maxRtoMs: 1000, maxResends: 15 };
/** Rounds of malformed and hostile datagrams sent straight to the server while the messages flow. */
const ATTACK_ROUNDS = 10;

/**
 * Another host on the path: sends the server malformed datagrams and, from its own
 * address, datagrams with a victim's connection id (a DATA, a HELLO, a REBIND with a
 * token that does not verify). Records every byte the server sends back to it.
 */
async function hostile(serverPort: number) {
  const s = createSocket('udp4');
  s.bind(0, '127.0.0.1');
  await within(once(s, 'listening'), 'hostile bind');
  const got: number[] = [];
  s.on('message', (buf) => got.push(buf.length));
  const sent = { bytes: 0, byEvent: new Map<string, number>() };
  const out = (bytes: Uint8Array, event: string) => {
    sent.bytes += bytes.length;
    sent.byEvent.set(event, (sent.byEvent.get(event) ?? 0) + 1);
    s.send(bytes, serverPort, '127.0.0.1');
  };
  return {
    got, sent,
    round(victim: string, i: number) {
      for (const k of malformedDatagrams(randomConnId())) out(k.bytes, k.event);
      out(crypto.getRandomValues(new Uint8Array(1 + ((i * 97) % 1300))), 'random');
      const h = { flags: 0, connId: victim, ack: 0, ackBits: 0 };
      out(encodeUdpDatagram({ ...h, type: UdpType.data, packet: 1 + i }, new Uint8Array([0xc1, 0xc1])), 'victim_data');
      out(encodeUdpDatagram({ ...h, type: UdpType.hello, packet: 0 }, undefined, UDP_HELLO_MIN_BYTES), 'victim_hello');
      out(encodeUdpDatagram({ ...h, type: UdpType.rebind, packet: 0 }, new TextEncoder().encode(`forged-token-${i}`)), 'victim_rebind');
    },
    close: () => new Promise<void>((r) => s.close(() => r())),
  };
}

interface Watch {
  /** transport connections opened (1 means it never reconnected) */
  opens: number;
  /** seqs of `msg` frames exactly as the transport delivered them, before the SDK's dedup */
  rawSeqs: number[];
}

/** Record what the transport hands to the client, under the SDK's own gap filling and dedup. */
function watched(inner: ConnectionFactory, w: Watch): ConnectionFactory {
  return (h) => {
    w.opens++;
    return inner({
      message: (text) => {
        const f = JSON.parse(text) as { op: string; msg?: Message };
        if (f.op === 'msg' && f.msg) w.rawSeqs.push(f.msg.seq);
        h.message(text);
      },
      close: h.close,
    });
  };
}

/** Send `n` texts from `c` to `to`, at most MAX_IN_FLIGHT unacked at once. */
async function pump(c: ParleyClient, to: string, tag: string, n: number, acked: { n: number }): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < n) {
      const i = next++;
      await c.sendText(to, `${tag}-${i}`);
      acked.n++;
    }
  };
  await Promise.all(Array.from({ length: MAX_IN_FLIGHT }, lane));
}

describe('UDP end to end through a lossy relay', () => {
  let p: TestPlatform;
  const closers: (() => Promise<unknown>)[] = [];
  before(async () => {
    p = await startTestPlatform({ rate_per_sec: 100_000, rate_burst: 100_000, heartbeat_ms: 60_000 });
  });
  after(async () => {
    for (const f of closers.splice(0).reverse()) await f();
    await p.destroy();
  });

  it('two users exchange 10,000 messages: each arrives once, in seq order; an address change keeps the session', async (t) => {
    const udpPort = await p.link.listenUdp(0, '127.0.0.1', { channel: CHANNEL, ratePerSec: 1_000_000, rateBurst: 1_000_000 });
    const tokens = await p.users('alice', 'bob');
    const setup = async (user: string, seed: number) => {
      const relay = await LossyRelay.start(udpPort, { up: LOSSY, down: LOSSY }, seed);
      const udp: UdpConnectionFactory = udpConnection('127.0.0.1', relay.port, { channel: CHANNEL, helloIntervalMs: 100, helloAttempts: 10 });
      const w: Watch = { opens: 0, rawSeqs: [] };
      const c = new ParleyClient({ connect: watched(udp, w), token: tokens[user]!, platform: 'ios', requestTimeoutMs: 60_000, reconnect: { minMs: 50, maxMs: 500, factor: 2, jitter: 0.1 } });
      const got: Message[] = [];
      c.on('message', (m) => got.push(m));
      const states: string[] = [];
      c.on('state', (s) => states.push(s.state));
      closers.push(() => relay.close(), () => c.close());
      await within(c.connect(), `${user} connect`, 30_000);
      return { relay, udp, w, c, got, states };
    };
    const a = await setup('alice', 11);
    const b = await setup('bob', 12);
    const aliceConn = a.c.session!.conn_id;
    assert.equal(a.relay.connIds.size, 1, "the relay saw alice's connection id");
    const victim = [...a.relay.connIds][0]!;
    const attacker = await hostile(udpPort);
    closers.push(() => attacker.close());
    const started = Date.now();
    const ackedA = { n: 0 };
    const ackedB = { n: 0 };
    const sending = Promise.all([pump(a.c, 'bob', 'a', PER_USER, ackedA), pump(b.c, 'alice', 'b', PER_USER, ackedB)]);
    // Garbage and forged datagrams at every tenth of the exchange: they must neither crash nor stall it.
    const attacking = (async () => {
      for (let i = 0; i < ATTACK_ROUNDS; i++) {
        await waitUntil(() => ackedA.n + ackedB.n >= (i * 2 * PER_USER) / ATTACK_ROUNDS, `attack round ${i}`, BOUND_MS);
        attacker.round(victim, i);
      }
    })();
    // Mid-stream, alice's NAT maps her to a new port.
    await waitUntil(() => ackedA.n >= PER_USER / 2, 'half of alice sends', BOUND_MS);
    a.relay.rebind();
    await within(sending, 'all sends acked', BOUND_MS);
    await within(attacking, 'attack rounds done', BOUND_MS);
    const fromAlice = () => b.got.filter((m) => m.sender === 'alice');
    const fromBob = () => a.got.filter((m) => m.sender === 'bob');
    await waitUntil(() => fromAlice().length >= PER_USER && fromBob().length >= PER_USER, 'all messages delivered', BOUND_MS);
    const elapsed = Date.now() - started;

    for (const [got, tag] of [[fromAlice(), 'a'], [fromBob(), 'b']] as const) {
      assert.equal(got.length, PER_USER, 'each message once');
      const texts = new Set(got.map((m) => (m.content as { text: string }).text));
      assert.equal(texts.size, PER_USER);
      for (let i = 0; i < PER_USER; i++) assert.ok(texts.has(`${tag}-${i}`), `${tag}-${i} missing`);
      for (let i = 1; i < got.length; i++) assert.ok(got[i]!.seq > got[i - 1]!.seq, 'seq order');
    }
    // Below the SDK's dedup: the transport itself delivered each push once, in order.
    for (const w of [a.w, b.w]) {
      assert.equal(w.opens, 1, 'one transport connection: no reconnect');
      assert.equal(w.rawSeqs.length, PER_USER);
      for (let i = 1; i < w.rawSeqs.length; i++) assert.ok(w.rawSeqs[i]! > w.rawSeqs[i - 1]!, 'raw pushes strictly increasing');
    }
    // The address change kept the session.
    const events = new Map((await p.metrics.udpEvents.get()).values.map((v) => [v.labels.event, v.value]));
    assert.equal(events.get('rebind'), 1, 'the server moved alice to her new address once');
    assert.ok(a.udp.stats.proves >= 1, 'alice was asked to prove it');
    assert.equal(events.get('address_validated'), 3, 'cookies echoed: alice and bob after HELLO, alice after the move');
    assert.equal(a.c.session!.conn_id, aliceConn);
    assert.deepEqual(a.states, ['connecting', 'open']);
    assert.deepEqual(b.states, ['connecting', 'open']);

    const server = p.link.udpStats()[0]!;
    const clients = [a.udp.stats, b.udp.stats];
    const resends = clients.reduce((n, s) => n + s.resends, 0);
    const dropped = a.relay.up.dropped + a.relay.down.dropped + b.relay.up.dropped + b.relay.down.dropped;
    const forwarded = a.relay.up.forwarded + a.relay.down.forwarded + b.relay.up.forwarded + b.relay.down.forwarded;
    assert.ok(dropped > 0 && resends > 0 && server.resends > 0, 'losses were repaired by resends on both sides');
    assert.ok(server.duplicatesDropped > 0 && clients.every((s) => s.duplicatesDropped > 0), 'duplicates dropped on both sides');
    assert.ok(server.acked > 0 && clients.every((s) => s.acked > 0));
    // The malformed datagrams were dropped and counted, the forged ones refused, and the server
    // sent the hostile host nothing but header-only PROVEs and RESETs: never more than it got.
    // (at least one of each kind: loopback may lose a datagram under load, so not all of them)
    for (const e of ['garbage_short', 'garbage_magic', 'garbage_version', 'garbage_type', 'garbage_flags', 'hello_short', 'address_mismatch', 'rebind_refused']) {
      assert.ok((events.get(e) ?? 0) >= 1, `${e} counted`);
    }
    assert.ok(attacker.got.every((n) => n === UDP_HEADER_BYTES), `replies to the hostile host: ${attacker.got.join(',')}`);
    assert.ok(attacker.got.reduce((x, n) => x + n, 0) <= attacker.sent.bytes);
    t.diagnostic(
      `loss ${LOSSY.drop * 100}% dup ${LOSSY.duplicate * 100}% reorder ${LOSSY.reorder * 100}% each way; ` +
      `sent ${ackedA.n + ackedB.n} acked, received ${fromAlice().length + fromBob().length}; ${elapsed} ms; ` +
      `relay forwarded ${forwarded} dropped ${dropped}; ` +
      `client packets ${clients.map((s) => s.packetsSent).join('/')} resends ${clients.map((s) => s.resends).join('/')} acked ${clients.map((s) => s.acked).join('/')} dups ${clients.map((s) => s.duplicatesDropped).join('/')}; ` +
      `server packets ${server.packetsSent} resends ${server.resends} acked ${server.acked} standalone acks ${server.acksSent} dups ${server.duplicatesDropped}; ` +
      `proves ${a.udp.stats.proves} rebinds ${events.get('rebind')}; ` +
      `hostile: ${ATTACK_ROUNDS} rounds, ${[...attacker.sent.byEvent.values()].reduce((x, n) => x + n, 0)} datagrams (${attacker.sent.bytes} B) in, ` +
      `${attacker.got.length} (${attacker.got.reduce((x, n) => x + n, 0)} B) back; ` +
      `counted ${[...events].filter(([e]) => /^garbage_|hello_short|address_|rebind_refused|prove$|cookie_resent|amplification_held/.test(String(e))).map(([e, n]) => `${e} ${n}`).join(', ')}`,
    );
  });
});

describe('udp_port in the configuration', () => {
  it('is off by default, and when set the platform serves UDP clients on it', async (t) => {
    const off = await startTestPlatform();
    t.after(() => off.destroy());
    assert.equal(off.options.udp_port, -1);
    assert.equal(off.udpPort, undefined);
    const p = await startTestPlatform({ udp_port: 0 });
    t.after(() => p.destroy());
    assert.ok(p.udpPort! > 0);
    const tokens = await p.users('carol', 'dave');
    const carol = new ParleyClient({ connect: udpConnection('127.0.0.1', p.udpPort!), token: tokens.carol!, reconnect: false });
    const dave = new ParleyClient({ connect: udpConnection('127.0.0.1', p.udpPort!), token: tokens.dave!, reconnect: false });
    t.after(() => Promise.all([carol.close(), dave.close()]));
    await within(Promise.all([carol.connect(), dave.connect()]), 'connect', 30_000);
    const got: Message[] = [];
    dave.on('message', (m) => got.push(m));
    const ack = await within(carol.sendText('dave', 'over UDP'), 'ack', 30_000);
    await waitUntil(() => got.length === 1, 'push', 30_000);
    assert.equal(got[0]!.seq, ack.seq);
    assert.deepEqual(got[0]!.content, { text: 'over UDP' });
  });
});
