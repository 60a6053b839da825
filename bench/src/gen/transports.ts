import net from 'node:net';
import WebSocket from 'ws';
import { io, type Socket } from 'socket.io-client';
import type { ClientFrame, ErrorFrame, Message, OkFrame } from '@parley/protocol';
import { liteOf, parseMsgFast, parseOkIdFast, type MsgLite } from './frame-parse.js';

/**
 * One client connection of a load generator, over the transport of the
 * server under test. `ws` speaks Parley's protocol (and the relay's, which is
 * the same JSON); `tcp` is Parley's TCP framing (4-byte big-endian length +
 * the same JSON); `net` is the same JSON, one object per line (the raw
 * ceilings); `socketio` maps `send` onto an emit with an ack callback.
 */
export type TransportKind = 'ws' | 'tcp' | 'net' | 'socketio';

export interface Creds { user: string; token: string; platform?: string }

export interface ConnHandlers {
  onMsg(m: MsgLite): void;
  onReply(f: OkFrame | ErrorFrame): void;
  onClose?(code: number): void;
}

export interface Conn {
  readonly user: string;
  send(f: ClientFrame): void;
  close(): void;
}

export interface OpenOpts { localAddress?: string; timeoutMs?: number }

const AUTH_ID = 'auth';

function dispatchText(t: string, h: ConnHandlers, authDone: (err?: Error) => void): void {
  const m = parseMsgFast(t);
  if (m) return h.onMsg(m);
  const okId = parseOkIdFast(t);
  if (okId !== null) return h.onReply({ op: 'ok', id: okId, data: null });
  const f = JSON.parse(t) as { op: string; id?: unknown; code?: string; message?: string };
  if (f.id === AUTH_ID) {
    authDone(f.op === 'ok' ? undefined : new Error(`auth failed: ${f.code}: ${f.message}`));
  } else if (f.op === 'ok' || f.op === 'error') {
    h.onReply(f as OkFrame | ErrorFrame);
  }
  // other pushes (read positions, presence) are not what the bench measures
}

export function openConn(kind: TransportKind, url: string, creds: Creds, h: ConnHandlers, opts: OpenOpts = {}): Promise<Conn> {
  const timeoutMs = opts.timeoutMs ?? 15000;
  return new Promise((resolve, reject) => {
    let settled = false;
    let conn: Conn;
    const timer = setTimeout(() => authDone(new Error(`${kind} connect+auth timed out after ${timeoutMs} ms`)), timeoutMs);
    const authDone = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) {
        try { conn?.close(); } catch { /* already gone */ }
        reject(err);
      } else resolve(conn);
    };
    const authFrame = { op: 'auth', id: AUTH_ID, token: creds.token, platform: creds.platform ?? 'web' } as ClientFrame;

    if (kind === 'ws') {
      const ws = new WebSocket(url, { perMessageDeflate: false, localAddress: opts.localAddress });
      conn = { user: creds.user, send: (f) => ws.send(JSON.stringify(f)), close: () => ws.terminate() };
      ws.on('open', () => ws.send(JSON.stringify(authFrame)));
      ws.on('message', (data) => dispatchText(data.toString(), h, authDone));
      ws.on('error', (err) => authDone(err));
      ws.on('close', (code) => { authDone(new Error(`closed ${code} before auth`)); h.onClose?.(code); });
    } else if (kind === 'net') {
      const u = new URL(url);
      const sock = net.connect({ host: u.hostname, port: Number(u.port), localAddress: opts.localAddress, noDelay: true });
      sock.setEncoding('utf8');
      conn = { user: creds.user, send: (f) => sock.write(JSON.stringify(f) + '\n'), close: () => sock.destroy() };
      let buf = '';
      sock.on('connect', () => sock.write(JSON.stringify(authFrame) + '\n'));
      sock.on('data', (chunk: string) => {
        buf += chunk;
        let start = 0;
        let nl: number;
        while ((nl = buf.indexOf('\n', start)) >= 0) {
          dispatchText(buf.slice(start, nl), h, authDone);
          start = nl + 1;
        }
        buf = buf.slice(start);
      });
      sock.on('error', (err) => authDone(err));
      sock.on('close', () => { authDone(new Error('closed before auth')); h.onClose?.(0); });
    } else if (kind === 'tcp') {
      const u = new URL(url);
      const sock = net.connect({ host: u.hostname, port: Number(u.port), localAddress: opts.localAddress, noDelay: true });
      const frame = (f: ClientFrame) => {
        const body = Buffer.from(JSON.stringify(f));
        const head = Buffer.allocUnsafe(4);
        head.writeUInt32BE(body.length, 0);
        sock.write(Buffer.concat([head, body]));
      };
      conn = { user: creds.user, send: frame, close: () => sock.destroy() };
      let buf: Buffer = Buffer.alloc(0);
      sock.on('connect', () => frame(authFrame));
      sock.on('data', (chunk: Buffer) => {
        buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
        let off = 0;
        while (buf.length - off >= 4) {
          const len = buf.readUInt32BE(off);
          if (buf.length - off - 4 < len) break;
          dispatchText(buf.toString('utf8', off + 4, off + 4 + len), h, authDone);
          off += 4 + len;
        }
        buf = off === 0 ? buf : buf.subarray(off);
      });
      sock.on('error', (err) => authDone(err));
      sock.on('close', () => { authDone(new Error('closed before auth')); h.onClose?.(0); });
    } else {
      const s: Socket = io(url, {
        transports: ['websocket'], auth: { user: creds.user }, reconnection: false, forceNew: true,
        // engine.io-client hands these to the `ws` client it uses under Node
        localAddress: opts.localAddress, perMessageDeflate: false,
      } as unknown as Parameters<typeof io>[1]);
      conn = {
        user: creds.user,
        send: (f) => {
          if (f.op !== 'send') return;
          s.emit('send', f, (data: unknown) => h.onReply({ op: 'ok', id: f.id, data }));
        },
        close: () => s.disconnect(),
      };
      s.on('msg', (m: Message) => h.onMsg(liteOf(m)));
      s.on('connect', () => authDone());
      s.on('connect_error', (err) => authDone(err));
      s.on('disconnect', () => h.onClose?.(0));
    }
  });
}
