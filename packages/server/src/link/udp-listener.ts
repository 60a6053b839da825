import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { UDP_HELLO_MIN_BYTES, UdpType, decodeUdpDatagram, encodeUdpDatagram, type UdpChannelOptions, type UdpChannelStats, type UdpDatagram } from '@parley/protocol/udp';
import type { TokenVerifier } from '../auth/token-verifier.js';
import type { Session } from './session.js';
import { UdpAddressLimiter } from './udp-address-limiter.js';
import { UdpWire, type UdpAddress, type UdpWireHost } from './udp-wire.js';
import type { Wire } from './wire.js';

/**
 * The UDP port of a link: one socket, connections told apart by the
 * connection id in each datagram's header (not by address, which NAT
 * rebinding and network switches change).
 *
 * Every datagram is, in order: rate-limited per source IP, parsed (garbage is
 * dropped silently and counted — answering it would make us a reflector),
 * then routed by connection id. Unknown ids get a header-only RESET, a HELLO
 * of at least 1,200 bytes opens a connection, and a known id from a new
 * address gets a header-only PROVE until the client answers with a REBIND
 * carrying a valid token of the same user. Every reply the listener itself
 * makes is header-only (24 bytes), never larger than what it answers.
 */
export interface UdpListenerOptions {
  /** reliability tuning (timeouts, resends, window); maxFrameBytes comes from the link */
  channel?: Partial<UdpChannelOptions>;
  /** forget a connection silent this long (default 90000; clients keepalive every 15000) */
  idleMs?: number;
  /** datagrams per second per source IP (default 1000, burst 2000) */
  ratePerSec?: number;
  rateBurst?: number;
  /** connections held at once, authenticated or not (default 100000) */
  maxConnections?: number;
  /** least time between two PROVE datagrams to one connection (default 100 ms) */
  proveIntervalMs?: number;
}

export interface UdpListenerDeps {
  maxFrameBytes: number;
  verifier: Pick<TokenVerifier, 'verify'>;
  accept(wire: Wire): Session | undefined;
  count(event: string, n?: number): void;
  onError(err: Error): void;
}

export class UdpListener {
  private readonly wires = new Map<string, UdpWire>();
  private readonly limiter: UdpAddressLimiter;
  private readonly wireHost: UdpWireHost;
  private readonly lastProve = new Map<string, number>();
  private readonly rebinding = new Set<string>();
  private closing = false;
  private socketClosed = false;
  /** channel counters of connections already gone; live ones are added in stats() */
  private readonly past: UdpChannelStats = emptyStats();

  private constructor(private readonly socket: Socket, readonly port: number, private readonly opts: UdpListenerOptions, private readonly deps: UdpListenerDeps) {
    this.limiter = new UdpAddressLimiter(opts.ratePerSec ?? 1000, opts.rateBurst ?? 2000);
    this.wireHost = {
      channel: { ...opts.channel, maxFrameBytes: deps.maxFrameBytes },
      idleMs: opts.idleMs ?? 90_000,
      send: (d, to) => this.send(d, to),
      count: deps.count,
      forget: (w) => {
        if (this.wires.get(w.connId) !== w) return;
        this.wires.delete(w.connId);
        this.lastProve.delete(w.connId);
        addStats(this.past, w.channel.stats);
        deps.count('resend', w.channel.stats.resends);
        deps.count('duplicate', w.channel.stats.duplicatesDropped);
      },
    };
    socket.on('message', (buf, rinfo) => this.onDatagram(buf, rinfo));
  }

  static async listen(port: number, host: string, opts: UdpListenerOptions, deps: UdpListenerDeps): Promise<UdpListener> {
    const socket = createSocket({ type: isIP(host) === 6 ? 'udp6' : 'udp4' });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    socket.on('error', deps.onError);
    return new UdpListener(socket, socket.address().port, opts, deps);
  }

  get connectionCount(): number {
    return this.wires.size;
  }

  /** Reliability counters summed over every connection this listener held. */
  stats(): UdpChannelStats {
    const total = { ...this.past };
    for (const w of this.wires.values()) addStats(total, w.channel.stats);
    return total;
  }

  /**
   * Stop opening connections; once every connection's session is gone (the
   * link closes them, each within its grace time), close the socket.
   */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all([...this.wires.values()].map((w) => w.session?.closed));
    this.socketClosed = true;
    await new Promise<void>((r) => this.socket.close(() => r()));
  }

  private onDatagram(buf: Buffer, from: RemoteInfo): void {
    if (!this.limiter.take(from.address)) return this.deps.count('rate_limited');
    const d = decodeUdpDatagram(buf);
    if (typeof d === 'string') return this.deps.count(`garbage_${d}`);
    this.deps.count('in');
    const wire = this.wires.get(d.connId);
    if (!wire) return this.unknown(d, buf.length, from);
    if (sameAddress(wire.address, from)) return wire.receive(d, buf.length);
    this.fromNewAddress(wire, d, buf.length, from);
  }

  private unknown(d: UdpDatagram, size: number, from: RemoteInfo): void {
    if (d.type !== UdpType.hello) {
      this.deps.count('unknown_conn');
      // Tell a client whose connection expired, so it reconnects now; never answer a reset or close.
      if (d.type !== UdpType.close && d.type !== UdpType.reset) this.reply(UdpType.reset, d.connId, from);
      return;
    }
    if (size < UDP_HELLO_MIN_BYTES) return this.deps.count('hello_short');
    if (this.closing || this.wires.size >= (this.opts.maxConnections ?? 100_000)) return this.deps.count('hello_refused');
    const wire = new UdpWire(d.connId, { address: from.address, port: from.port }, this.wireHost);
    const session = this.deps.accept(wire);
    if (!session) {
      wire.destroy();
      return this.deps.count('hello_refused');
    }
    wire.session = session;
    this.wires.set(d.connId, wire);
    wire.receive(d, size); // credits the HELLO's bytes and answers hello_ok
  }

  /** A known connection id from another address: NAT rebinding, a network switch, or someone guessing. */
  private fromNewAddress(wire: UdpWire, d: UdpDatagram, size: number, from: RemoteInfo): void {
    if (!wire.authenticated) return this.deps.count('address_mismatch');
    if (d.type === UdpType.rebind) return this.rebind(wire, d, size, from);
    if (d.type === UdpType.close || d.type === UdpType.hello) return this.deps.count('address_mismatch');
    const now = Date.now();
    if (now - (this.lastProve.get(wire.connId) ?? 0) < (this.opts.proveIntervalMs ?? 100)) return this.deps.count('address_mismatch');
    this.lastProve.set(wire.connId, now);
    this.deps.count('prove');
    this.reply(UdpType.prove, wire.connId, from);
  }

  private rebind(wire: UdpWire, d: UdpDatagram, size: number, from: RemoteInfo): void {
    if (this.rebinding.has(wire.connId)) return; // one verification at a time per connection
    this.rebinding.add(wire.connId);
    const token = Buffer.from(d.payload).toString('utf8');
    const to = { address: from.address, port: from.port };
    this.deps.verifier.verify(token).then(
      (claims) => {
        const info = wire.session?.info;
        if (info && this.wires.get(wire.connId) === wire && claims.app_id === info.app_id && claims.user_id === info.user_id) {
          this.deps.count('rebind');
          wire.moveTo(to, size);
        } else {
          this.deps.count('rebind_refused');
        }
      },
      () => this.deps.count('rebind_refused'),
    ).finally(() => this.rebinding.delete(wire.connId));
  }

  private reply(type: typeof UdpType.reset | typeof UdpType.prove, connId: string, to: UdpAddress): void {
    this.send(encodeUdpDatagram({ type, flags: 0, connId, packet: 0, ack: 0, ackBits: 0 }), to);
  }

  private send(datagram: Uint8Array, to: UdpAddress): void {
    if (this.socketClosed) return;
    this.deps.count('out');
    this.socket.send(datagram, to.port, to.address, (err) => {
      if (err) this.deps.onError(err);
    });
  }
}

function sameAddress(a: UdpAddress, b: RemoteInfo): boolean {
  return a.port === b.port && a.address === b.address;
}

function emptyStats(): UdpChannelStats {
  return { packetsSent: 0, resends: 0, spuriousResends: 0, acked: 0, acksSent: 0, packetsReceived: 0, duplicatesDropped: 0, reordered: 0, framesDelivered: 0 };
}

function addStats(into: UdpChannelStats, s: UdpChannelStats): void {
  for (const k of Object.keys(into) as (keyof UdpChannelStats)[]) into[k] += s[k];
}
