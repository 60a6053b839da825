import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { Packr, Unpackr } from 'msgpackr';
import { UDP_HELLO_MIN_BYTES, UdpChannel, UdpType, decodeUdpDatagram, encodeUdpClose, randomCookie, type UdpDatagram } from '@parley/protocol/udp';
import { ConnectionLostError, ParleyClient, udpConnection, type UdpConnectionOptions } from '../src/node.js';
import { waitFor, within } from './helpers/wait.js';

const packr = new Packr({ useRecords: false });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });

/**
 * A minimal UDP server for one client, on the protocol's channel: answers
 * HELLO, auth and ping, records the HELLO sizes, and can send anything raw.
 */
class FakeUdpServer {
  readonly hellos: number[] = [];
  readonly frames: Record<string, unknown>[] = [];
  channel: UdpChannel | undefined;
  peer: RemoteInfo | undefined;
  /** drop everything from the client from now on (a server that went away without a word) */
  mute = false;
  dropped = 0;
  /** sent in HELLO_OK; PINGs that carry it back are counted */
  readonly cookie = randomCookie();
  echoes = 0;

  private constructor(readonly socket: Socket) {
    socket.on('message', (buf, from) => {
      if (this.mute) {
        this.dropped++;
        return;
      }
      const d = decodeUdpDatagram(buf);
      if (typeof d === 'string') return;
      this.peer = from;
      if (d.type === UdpType.hello) {
        this.hellos.push(buf.length);
        this.channel ??= new UdpChannel(d.connId, { initialRtoMs: 50 }, {
          emit: (x) => this.raw(x),
          deliver: (b) => this.onFrame(unpackr.unpack(b) as Record<string, unknown>),
          oversize: () => undefined,
          gone: () => undefined,
        });
        this.raw(this.channel.control(UdpType.hello_ok, this.cookie));
        return;
      }
      if (d.type === UdpType.ping && Buffer.from(d.payload).equals(Buffer.from(this.cookie))) this.echoes++;
      this.channel?.receive(d as UdpDatagram);
    });
  }

  static async start(): Promise<FakeUdpServer> {
    const s = createSocket('udp4');
    s.bind(0, '127.0.0.1');
    await once(s, 'listening');
    return new FakeUdpServer(s);
  }

  get port(): number {
    return this.socket.address().port;
  }

  raw(bytes: Uint8Array): void {
    if (this.peer) this.socket.send(bytes, this.peer.port, this.peer.address);
  }

  send(frame: unknown): void {
    this.channel!.send(packr.pack(frame));
  }

  async stop(): Promise<void> {
    this.channel?.stop();
    await new Promise<void>((r) => this.socket.close(() => r()));
  }

  private onFrame(f: Record<string, unknown>): void {
    this.frames.push(f);
    if (f.op === 'auth') {
      this.send({ op: 'ok', id: f.id, data: { user_id: 'alice', app_id: 'a', platform: 'ios', conn_id: 'c1', heartbeat_ms: 30_000, server_time: Date.now() } });
    }
    if (f.op === 'ping' && f.id !== undefined) this.send({ op: 'pong', id: f.id, t: Date.now() });
  }
}

/** A fake server and an SDK client connected to it over UDP, both closed after the test; `errors` are the client's state errors. */
async function connected(t: TestContext, options: UdpConnectionOptions = {}) {
  const server = await FakeUdpServer.start();
  const udp = udpConnection('127.0.0.1', server.port, options);
  const client = new ParleyClient({ connect: udp, token: 'tok:alice', reconnect: false });
  t.after(async () => {
    await client.close();
    await server.stop();
  });
  await within(client.connect(), 'connect');
  const errors: string[] = [];
  client.on('state', (s) => s.error && errors.push(s.error.message));
  return { server, udp, client, errors };
}

test('UDP transport: padded HELLO, auth, then frames in MessagePack; garbage from the server is ignored and counted', async (t) => {
  const { server, udp, client } = await connected(t);
  assert.ok(server.hellos.length >= 1 && server.hellos.every((n) => n === UDP_HELLO_MIN_BYTES), 'every HELLO is padded to 1,200 bytes');
  assert.equal(server.frames[0]!.op, 'auth');
  assert.equal(server.frames[0]!.token, 'tok:alice');
  await waitFor(() => server.echoes >= 1, 'the HELLO_OK cookie echoed in a PING');
  server.raw(new Uint8Array([1, 2, 3]));
  server.raw(new Uint8Array(40).fill(0x50));
  const big = 'x'.repeat(5000); // several datagrams
  server.send({ op: 'typing', conv_id: big, user_id: 'bob' });
  const typing: string[] = [];
  client.on('typing', (e) => typing.push(e.conv_id));
  await waitFor(() => typing.length === 1, 'typing push');
  assert.equal(typing[0], big);
  assert.equal(udp.stats.garbage, 2);
  assert.equal(udp.stats.connections, 1);
});

test('UDP transport: a CLOSE from the server ends the connection with its code', async (t) => {
  const { server, client, errors } = await connected(t);
  server.raw(server.channel!.control(UdpType.close, encodeUdpClose(4003, 'heartbeat timeout')));
  await waitFor(() => client.state === 'closed', 'closed');
  assert.deepEqual(errors, ['connection closed (4003 heartbeat timeout)']);
});

test('UDP transport: nobody answering the HELLOs fails the connection attempt', async () => {
  const silent = createSocket('udp4'); // bound, so no ICMP refusal: the HELLOs just go unanswered
  silent.bind(0, '127.0.0.1');
  await once(silent, 'listening');
  try {
    const udp = udpConnection('127.0.0.1', silent.address().port, { helloAttempts: 3, helloIntervalMs: 20 });
    const client = new ParleyClient({ connect: udp, token: 'tok:alice', reconnect: false, connectTimeoutMs: 10_000 });
    await assert.rejects(within(client.connect(), 'connect', 10_000), (e: unknown) => e instanceof ConnectionLostError && /no answer to 3 HELLOs/.test(e.message));
  } finally {
    silent.close();
  }
});

test('UDP transport: a server that stops acknowledging is gone after the resends; the client reports a lost connection', async (t) => {
  const { server, udp, client, errors } = await connected(t, { channel: { initialRtoMs: 20, minRtoMs: 10, maxRtoMs: 80, maxResends: 3 } });
  // Under load a short RTO can resend an earlier packet before its ack arrives: count from here.
  const resendsBefore = udp.stats.resends;
  server.mute = true;
  const request = client.request('convs', {}, { timeoutMs: 60_000 });
  await assert.rejects(within(request, 'request fails', 30_000), ConnectionLostError);
  await waitFor(() => client.state === 'closed', 'closed');
  assert.deepEqual(errors, ['connection closed (1006 the server stopped acknowledging)']);
  const stats = udp.stats;
  // maxResends for the request, plus any packet still unacknowledged when the server went quiet
  assert.ok(stats.resends - resendsBefore >= 3, `the request packet was resent maxResends times, then given up (${stats.resends - resendsBefore})`);
  assert.ok(server.dropped >= 4, 'the first send and its resends reached the silent server');
  assert.equal(stats.connections, 1);
});
