/**
 * UDP transport for Node (native clients on lossy networks): the protocol
 * frames in MessagePack over acknowledged, resent, deduplicated and ordered
 * datagrams (docs/protocol.md "UDP"). Under the client it is a Connection like
 * WebSocket and TCP: whole text frames in order, one close.
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { Packr, Unpackr } from 'msgpackr';
import {
  UDP_HELLO_MIN_BYTES, UdpChannel, UdpType, decodeUdpClose, decodeUdpDatagram, encodeUdpClose, randomConnId,
  type UdpChannelOptions, type UdpChannelStats,
} from '@parley/protocol/udp';
import type { CloseInfo, Connection, ConnectionFactory, ConnectionHandlers } from './connection.js';
import { ConnectionLostError } from './errors.js';

export interface UdpConnectionOptions {
  /** reliability tuning; maxFrameBytes (largest frame from the server) defaults to 4 MiB */
  channel?: Partial<UdpChannelOptions>;
  /** keepalive interval that holds NAT mappings open (default 15000) */
  keepaliveMs?: number;
  /** HELLO attempts before the connection attempt fails (default 6, interval doubling from helloIntervalMs) */
  helloAttempts?: number;
  helloIntervalMs?: number;
}

/** Counters over every connection the factory made: resends, acks, duplicates, address changes. */
export interface UdpTransportStats extends UdpChannelStats {
  connections: number;
  /** the server asked us to prove a new address, and accepted it */
  proves: number;
  rebinds: number;
  /** datagrams from the server that did not parse */
  garbage: number;
}

export interface UdpConnectionFactory extends ConnectionFactory {
  readonly stats: UdpTransportStats;
}

const packr = new Packr({ useRecords: false, moreTypes: false });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });

/** What one factory counts: totals of finished connections, plus the live channels. */
class StatsBook {
  readonly totals: UdpTransportStats = {
    packetsSent: 0, resends: 0, spuriousResends: 0, acked: 0, acksSent: 0, packetsReceived: 0, duplicatesDropped: 0, reordered: 0, framesDelivered: 0,
    connections: 0, proves: 0, rebinds: 0, garbage: 0,
  };
  readonly live = new Set<UdpChannel>();

  retire(ch: UdpChannel): void {
    if (!this.live.delete(ch)) return;
    for (const k of Object.keys(ch.stats) as (keyof UdpChannelStats)[]) this.totals[k] += ch.stats[k];
  }

  snapshot(): UdpTransportStats {
    const out = { ...this.totals };
    for (const ch of this.live) for (const k of Object.keys(ch.stats) as (keyof UdpChannelStats)[]) out[k] += ch.stats[k];
    return out;
  }
}

export function udpConnection(host: string, port: number, options: UdpConnectionOptions = {}): UdpConnectionFactory {
  const book = new StatsBook();
  const factory = (handlers: ConnectionHandlers) => openUdp(host, port, options, handlers, book);
  return Object.defineProperty(factory, 'stats', { get: () => book.snapshot(), enumerable: true }) as UdpConnectionFactory;
}

function openUdp(host: string, port: number, options: UdpConnectionOptions, handlers: ConnectionHandlers, book: StatsBook): Promise<Connection> {
  const stats = book.totals;
  return new Promise<Connection>((resolve, reject) => {
    const socket: Socket = createSocket(isIP(host) === 6 ? 'udp6' : 'udp4');
    const connId = randomConnId();
    let opened = false;
    let done = false;
    let token: string | undefined;
    /** the server's cookie for our current address, echoed in PINGs (docs/protocol.md "Protection") */
    let cookie: Uint8Array | undefined;
    let helloTimer: ReturnType<typeof setTimeout> | undefined;
    let keepalive: ReturnType<typeof setInterval> | undefined;
    let closeTimer: ReturnType<typeof setTimeout> | undefined;
    let markClosed!: () => void;
    const closed = new Promise<void>((r) => (markClosed = r));

    const emit = (d: Uint8Array) => {
      if (!done) socket.send(d, (err) => err && finish({ code: 1006, reason: err.message }));
    };
    const ping = () => emit(channel.control(UdpType.ping, cookie));
    /** HELLO_OK and REBIND_OK carry the cookie; the server holds data back until we echo it. */
    const echo = (payload: Uint8Array) => {
      if (payload.length === 0) return;
      cookie = payload.slice();
      ping();
    };
    const channel = new UdpChannel(connId, { maxFrameBytes: 4 * 1024 * 1024, ...options.channel }, {
      emit,
      deliver: (bytes) => {
        let text: string;
        try {
          text = JSON.stringify(unpackr.unpack(bytes));
        } catch {
          return finish({ code: 1006, reason: 'server sent a frame that is not MessagePack' });
        }
        if (!done) handlers.message(text);
      },
      oversize: (bytes) => finish({ code: 1009, reason: `frame of ${bytes} bytes exceeds limit ${options.channel?.maxFrameBytes ?? 4 * 1024 * 1024}` }),
      gone: () => finish({ code: 1006, reason: 'the server stopped acknowledging' }),
      drained: () => {
        if (closeTimer !== undefined) sayGoodbye(1000, 'client closed');
      },
    });
    book.live.add(channel);

    const finish = (info: CloseInfo) => {
      if (done) return;
      done = true;
      channel.stop();
      clearTimeout(helloTimer);
      clearInterval(keepalive);
      clearTimeout(closeTimer);
      book.retire(channel);
      try {
        socket.close();
      } catch {
        // already closed
      }
      markClosed();
      if (opened) handlers.close(info);
      else reject(new ConnectionLostError(`UDP connect to ${host}:${port} failed: ${info.reason}`));
    };
    const sayGoodbye = (code: number, reason: string) => {
      const bye = channel.control(UdpType.close, encodeUdpClose(code, reason));
      emit(bye);
      emit(bye);
      finish({ code, reason });
    };

    const conn: Connection = {
      send: (text) => {
        if (done) throw new ConnectionLostError('UDP connection is closed');
        const frame = JSON.parse(text) as Record<string, unknown>;
        // Kept to prove who we are if the network moves us to a new address.
        if (frame.op === 'auth' && typeof frame.token === 'string') token = frame.token;
        channel.send(packr.pack(frame));
      },
      close: () => {
        if (done || closeTimer !== undefined) return;
        // What was sent is delivered first; a server that stopped answering gets a second.
        closeTimer = setTimeout(() => sayGoodbye(1000, 'client closed'), 1000);
        if (channel.drained) sayGoodbye(1000, 'client closed');
      },
      destroy: () => finish({ code: 1006, reason: 'destroyed' }),
      closed,
    };

    socket.on('message', (buf) => {
      if (done) return;
      const d = decodeUdpDatagram(buf);
      if (typeof d === 'string' || d.connId !== connId) {
        stats.garbage++;
        return;
      }
      switch (d.type) {
        case UdpType.hello_ok:
          channel.receive(d);
          echo(d.payload); // the first answer, or the server reminding us of the cookie
          if (opened) return;
          opened = true;
          clearTimeout(helloTimer);
          stats.connections++;
          keepalive = setInterval(ping, options.keepaliveMs ?? 15_000);
          keepalive.unref?.();
          return resolve(conn);
        case UdpType.data:
        case UdpType.ack:
          return channel.receive(d);
        case UdpType.prove:
          // The server saw us from a new address (NAT rebinding, network switch): answer with the token.
          stats.proves++;
          if (token !== undefined) emit(channel.control(UdpType.rebind, new TextEncoder().encode(token)));
          return;
        case UdpType.rebind_ok:
          stats.rebinds++;
          channel.receive(d);
          echo(d.payload);
          return channel.resendAll();
        case UdpType.close: {
          channel.receive(d);
          return finish(decodeUdpClose(d.payload));
        }
        case UdpType.reset:
          return finish({ code: 1006, reason: 'the server does not know this connection (expired or restarted)' });
        default:
          stats.garbage++;
      }
    });
    socket.on('error', (err) => finish({ code: 1006, reason: err.message }));

    const attempts = options.helloAttempts ?? 6;
    let tried = 0;
    const hello = () => {
      if (done || opened) return;
      if (tried++ >= attempts) return finish({ code: 1006, reason: `no answer to ${attempts} HELLOs` });
      // Padded: the server may answer an unauthenticated client only with as many bytes as it received.
      emit(channel.control(UdpType.hello, undefined, UDP_HELLO_MIN_BYTES));
      helloTimer = setTimeout(hello, (options.helloIntervalMs ?? 500) * 2 ** (tried - 1));
    };
    socket.connect(port, host, () => hello());
  });
}
