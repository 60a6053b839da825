import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { Packr, Unpackr } from 'msgpackr';
import {
  UDP_HELLO_MIN_BYTES, UdpChannel, UdpType, decodeUdpDatagram, encodeUdpDatagram, randomConnId, type UdpChannelOptions, type UdpDatagram,
} from '@parley/protocol/udp';
import { within, WAIT_MS, type Frame } from './helpers.js';

/** Impairments of one direction, as shares of datagrams (0..1). */
export interface Impairment {
  drop: number;
  duplicate: number;
  /** held back and sent after the next datagram (or after 5 ms) */
  reorder: number;
}

export const CLEAN: Impairment = { drop: 0, duplicate: 0, reorder: 0 };

/** Deterministic PRNG (mulberry32): the same seed drops the same datagrams. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Direction {
  forwarded = 0;
  dropped = 0;
  duplicated = 0;
  reordered = 0;
  /** datagrams offered to this direction, by UDP type (before any impairment) */
  readonly types = new Map<number, number>();
  private held: (() => void) | undefined;
  private heldTimer: NodeJS.Timeout | undefined;

  constructor(public imp: Impairment, private readonly rnd: () => number) {}

  pass(buf: Buffer, send: () => void): void {
    const d = decodeUdpDatagram(buf);
    if (typeof d !== 'string') this.types.set(d.type, (this.types.get(d.type) ?? 0) + 1);
    if (this.rnd() < this.imp.drop) {
      this.dropped++;
      return;
    }
    const copies = this.rnd() < this.imp.duplicate ? 2 : 1;
    if (copies === 2) this.duplicated++;
    const out = () => {
      for (let i = 0; i < copies; i++) {
        this.forwarded++;
        send();
      }
    };
    if (!this.held && this.rnd() < this.imp.reorder) {
      this.reordered++;
      this.held = out;
      this.heldTimer = setTimeout(() => this.release(), 5);
      return;
    }
    out();
    this.release();
  }

  release(): void {
    const h = this.held;
    this.held = undefined;
    clearTimeout(this.heldTimer);
    h?.();
  }
}

/**
 * A lossy loopback relay between UDP clients and a server: clients send to
 * `port`; each client gets its own upstream socket, so the server sees one
 * address per client. `rebind()` moves every client to a new upstream port,
 * which is what NAT rebinding looks like from the server.
 */
export class LossyRelay {
  readonly up: Direction;
  readonly down: Direction;
  private readonly front: Socket;
  private readonly clients = new Map<string, { from: RemoteInfo; upstream: Socket }>();
  /** connection ids seen going up, in order of first sight */
  readonly connIds = new Set<string>();
  private closed = false;

  private constructor(front: Socket, private readonly target: number, imp: { up: Impairment; down: Impairment }, seed: number) {
    this.front = front;
    const rnd = prng(seed);
    this.up = new Direction(imp.up, rnd);
    this.down = new Direction(imp.down, rnd);
    front.on('message', (buf, from) => {
      const key = `${from.address}:${from.port}`;
      let c = this.clients.get(key);
      if (!c) {
        c = { from, upstream: this.upstream(from) };
        this.clients.set(key, c);
      }
      const upstream = c.upstream;
      if (buf.length >= 12) this.connIds.add(buf.subarray(4, 12).toString('hex'));
      this.up.pass(buf, () => this.sendSafe(upstream, buf, this.target));
    });
  }

  static async start(serverPort: number, imp: { up: Impairment; down: Impairment } = { up: CLEAN, down: CLEAN }, seed = 1): Promise<LossyRelay> {
    const front = createSocket('udp4');
    front.bind(0, '127.0.0.1');
    await within(once(front, 'listening'), 'relay listen');
    return new LossyRelay(front, serverPort, imp, seed);
  }

  get port(): number {
    return this.front.address().port;
  }

  set impairment(imp: { up: Impairment; down: Impairment }) {
    this.up.imp = imp.up;
    this.down.imp = imp.down;
  }

  /** New upstream sockets (new source ports) for every client; the old ones are closed. */
  rebind(): void {
    for (const c of this.clients.values()) {
      const old = c.upstream;
      c.upstream = this.upstream(c.from);
      old.close();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.up.release();
    this.down.release();
    for (const c of this.clients.values()) c.upstream.close();
    await new Promise<void>((r) => this.front.close(() => r()));
  }

  private upstream(client: RemoteInfo): Socket {
    const s = createSocket('udp4');
    s.bind(0, '127.0.0.1');
    s.on('message', (buf) => this.down.pass(buf, () => this.sendSafe(this.front, buf, client.port)));
    s.on('error', () => undefined);
    return s;
  }

  private sendSafe(s: Socket, buf: Buffer, port: number): void {
    if (this.closed) return;
    try {
      s.send(buf, port, '127.0.0.1');
    } catch {
      // an upstream socket closed by rebind() while a datagram was held
    }
  }
}

/**
 * One datagram of each malformed kind, with the `udpEvents` event the listener counts it
 * under: too short, another magic, version or type, bad flags (DATA without a packet
 * number), and a HELLO too small to pay for its answer. None of them may be answered.
 */
export function malformedDatagrams(connId: string): { bytes: Uint8Array; event: string }[] {
  const header = (type: number, packet = 0) => encodeUdpDatagram({ type: type as never, flags: 0, connId, packet, ack: 0, ackBits: 0 });
  const v2 = header(UdpType.ping);
  v2[1] = 0x20 | UdpType.ping;
  const t15 = header(UdpType.ping);
  t15[1] = 0x10 | 15;
  return [
    { bytes: new Uint8Array([1, 2, 3]), event: 'garbage_short' },
    { bytes: new Uint8Array(64).fill(0xff), event: 'garbage_magic' },
    { bytes: v2, event: 'garbage_version' },
    { bytes: t15, event: 'garbage_type' },
    { bytes: header(UdpType.data), event: 'garbage_flags' },
    { bytes: encodeUdpDatagram({ type: UdpType.hello, flags: 0, connId, packet: 0, ack: 0, ackBits: 0 }, undefined, UDP_HELLO_MIN_BYTES - 1), event: 'hello_short' },
  ];
}

const packr = new Packr({ useRecords: false, moreTypes: false });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });

/**
 * A hand-driven UDP client for the server's tests: the protocol's channel for
 * the reliable part, plus raw datagrams for everything a real client would
 * never send.
 */
export class RawUdpClient {
  readonly frames: Frame[] = [];
  /** every datagram received, parsed or not, with its size */
  readonly datagrams: { size: number; d: UdpDatagram | string }[] = [];
  readonly channel: UdpChannel;
  bytesSent = 0;
  /** answer each HELLO_OK / REBIND_OK cookie with a PING carrying it, as the SDK does (off: a spoofer) */
  echoCookie = true;
  private waiters: (() => void)[] = [];

  private constructor(private socket: Socket, readonly port: number, readonly connId: string, channel: Partial<UdpChannelOptions>) {
    this.channel = new UdpChannel(connId, channel, {
      emit: (d) => this.raw(d),
      deliver: (b) => this.push(unpackr.unpack(b)),
      oversize: () => undefined,
      gone: () => undefined,
    });
    this.listen(socket);
  }

  static async open(serverPort: number, channel: Partial<UdpChannelOptions> = {}, connId = randomConnId()): Promise<RawUdpClient> {
    return new RawUdpClient(await bound(), serverPort, connId, { initialRtoMs: 50, minRtoMs: 20, ...channel });
  }

  /** Move to a new local port, as a phone switching networks does. */
  async newSocket(): Promise<void> {
    const old = this.socket;
    this.socket = await bound();
    this.listen(this.socket);
    old.close();
  }

  raw(bytes: Uint8Array, port = this.port): void {
    this.bytesSent += bytes.length;
    this.socket.send(bytes, port, '127.0.0.1');
  }

  hello(size = UDP_HELLO_MIN_BYTES): void {
    this.raw(this.channel.control(UdpType.hello, undefined, size));
  }

  /** HELLO until hello_ok, then auth; resolves with the auth answer. */
  async login(token: string): Promise<Frame> {
    this.hello();
    await this.until(() => this.got(UdpType.hello_ok) > 0, 'hello_ok');
    this.send({ op: 'auth', id: 'a', token });
    return this.next('auth answer');
  }

  send(frame: unknown): void {
    this.channel.send(packr.pack(frame));
  }

  got(type: number): number {
    return this.datagrams.filter((x) => typeof x.d !== 'string' && x.d.type === type).length;
  }

  async next(what: string, ms = WAIT_MS): Promise<Frame> {
    await this.until(() => this.frames.length > 0, what, ms);
    return this.frames.shift();
  }

  async until(pred: () => boolean, what: string, ms = WAIT_MS): Promise<void> {
    const deadline = Date.now() + ms;
    while (!pred()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(left, 50));
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  async close(): Promise<void> {
    this.channel.stop();
    await new Promise<void>((r) => this.socket.close(() => r()));
  }

  private listen(socket: Socket): void {
    socket.on('message', (buf) => {
      const d = decodeUdpDatagram(buf);
      this.datagrams.push({ size: buf.length, d });
      if (typeof d !== 'string' && d.connId === this.connId) {
        this.channel.receive(d);
        if (this.echoCookie && (d.type === UdpType.hello_ok || d.type === UdpType.rebind_ok) && d.payload.length > 0) {
          this.raw(this.channel.control(UdpType.ping, d.payload));
        }
      }
      this.wake();
    });
  }

  private push(f: Frame): void {
    this.frames.push(f);
    this.wake();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}

async function bound(): Promise<Socket> {
  const s = createSocket('udp4');
  s.bind(0, '127.0.0.1');
  await within(once(s, 'listening'), 'udp bind');
  return s;
}

/** Counts of udpEvents, as LinkMetrics reports them. */
export function eventCounter(): { counts: Map<string, number>; metrics: { udpEvents: { inc(l: { event: string }, n?: number): void }; connections: { inc(): void; dec(): void }; framesOut: { inc(): void } } } {
  const counts = new Map<string, number>();
  return {
    counts,
    metrics: {
      udpEvents: { inc: ({ event }, n = 1) => void counts.set(event, (counts.get(event) ?? 0) + n) },
      connections: { inc: () => undefined, dec: () => undefined },
      framesOut: { inc: () => undefined },
    },
  };
}
