import { createServer, type Server as NetServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  ParleyError, TcpFrameDecoder, encodeTcpFrame, singleConvId, parseConvId,
  type Conversation, type ErrorCode, type Message, type SendAck, type ServerFrame,
} from '@parley/protocol';

/**
 * A small in-test Parley server: enough of the protocol to exercise the SDK
 * (auth, send with cmid dedup, history, convs, pushes), plus levers real
 * servers do not have — withhold acks, drop sockets, go silent, refuse
 * connections — to create the failures the SDK must survive.
 */
export type Frame = Record<string, unknown> & { op: string; id?: number | string };
/** An op handler's answer: data for `ok`, an error, or `undefined` to answer nothing. */
export type Reply = { data: unknown } | { error: ErrorCode; message?: string } | undefined;
export type Handler = (frame: Frame, conn: FakeConn) => Reply | Promise<Reply>;

export class FakeConn {
  user: string | undefined;
  /** answer nothing at all (not even pongs): a half-dead link */
  silent = false;
  readonly frames: Frame[] = [];
  closed = false;

  constructor(
    readonly index: number,
    private readonly write: (text: string) => void,
    private readonly end: (code: number, reason: string) => void,
    private readonly kill: () => void,
  ) {}

  send(frame: ServerFrame | Frame): void {
    if (!this.closed) this.write(JSON.stringify(frame));
  }
  close(code = 1000, reason = ''): void {
    this.end(code, reason);
  }
  terminate(): void {
    this.kill();
  }
}

export class FakeServer {
  readonly conns: FakeConn[] = [];
  /** every frame received, in order */
  readonly received: Array<{ conn: FakeConn; frame: Frame }> = [];
  readonly messages = new Map<string, Message[]>();
  private readonly acks = new Map<string, SendAck>();
  readonly handlers: Partial<Record<string, Handler>> = {};
  heartbeatMs = 30_000;
  /** told in the auth answer: holes below messages older than this are final */
  commitDeadlineMs = 5000;
  /** the `server_time` of history answers */
  now: () => number = () => Date.now();
  /** refuse new connections (WebSocket handshake 503 / TCP reset) */
  refuse = false;
  /** store sends but answer no ack */
  withholdAcks = false;
  /** called for each authenticated frame before the default handling; return true to skip it */
  intercept: ((frame: Frame, conn: FakeConn) => boolean) | undefined;
  connectionAttempts = 0;

  /* ---- protocol ---- */

  attach(write: (t: string) => void, end: (c: number, r: string) => void, kill: () => void): FakeConn {
    const conn = new FakeConn(this.conns.length, write, end, kill);
    this.conns.push(conn);
    return conn;
  }

  async receive(conn: FakeConn, text: string): Promise<void> {
    const frame = JSON.parse(text) as Frame;
    conn.frames.push(frame);
    this.received.push({ conn, frame });
    if (conn.silent) return;
    if (frame.op === 'auth') return this.auth(conn, frame);
    if (!conn.user) return conn.send({ op: 'error', id: frame.id, code: 'unauthenticated', message: 'auth first', retryable: false });
    if (frame.op === 'ping') return conn.send({ op: 'pong', t: Date.now() });
    if (this.intercept?.(frame, conn)) return;
    const handler = this.handlers[frame.op] ?? this.defaults[frame.op];
    if (!handler) return this.answer(conn, frame, { error: 'unknown_op' });
    this.answer(conn, frame, await handler(frame, conn));
  }

  answer(conn: FakeConn, frame: Frame, reply: Reply): void {
    if (!reply || frame.id === undefined) return;
    if ('data' in reply) return conn.send({ op: 'ok', id: frame.id, data: reply.data });
    const err = new ParleyError(reply.error, reply.message);
    conn.send({ op: 'error', id: frame.id, code: err.code, message: err.message, retryable: err.retryable });
  }

  private auth(conn: FakeConn, frame: Frame): void {
    const token = String(frame.token);
    if (!token.startsWith('tok:')) {
      conn.send({ op: 'error', id: frame.id, code: 'token_invalid', message: 'token is invalid', retryable: false });
      conn.close(4001, 'token_invalid');
      return;
    }
    conn.user = token.slice(4);
    conn.send({
      op: 'ok', id: frame.id,
      data: { user_id: conn.user, app_id: 'app1', platform: frame.platform ?? 'web', conn_id: `c${conn.index}`, heartbeat_ms: this.heartbeatMs, server_time: Date.now(), commit_deadline_ms: this.commitDeadlineMs },
    });
  }

  private readonly defaults: Record<string, Handler> = {
    send: (f, conn) => {
      const key = `${conn.user}|${String(f.cmid)}`;
      const prior = this.acks.get(key);
      if (prior) return { data: { ...prior, duplicate: true } };
      const conv = f.conv_type === 'group' ? `g:${String(f.to)}` : singleConvId(conn.user!, String(f.to));
      const msg = this.addMessage(conv, { sender: conn.user!, cmid: String(f.cmid), content: f.content });
      const ack: SendAck = { cmid: msg.cmid, msg_id: msg.msg_id, conv_id: conv, seq: msg.seq, created_at: msg.created_at };
      this.acks.set(key, ack);
      return this.withholdAcks ? undefined : { data: ack };
    },
    history: (f) => {
      const all = this.messages.get(String(f.conv_id)) ?? [];
      const limit = typeof f.limit === 'number' ? f.limit : 50;
      if (typeof f.after === 'number') {
        const after = f.after;
        const newer = all.filter((m) => m.seq > after);
        return { data: { messages: newer.slice(0, limit), has_more: newer.length > limit, server_time: this.now() } };
      }
      const before = typeof f.before === 'number' ? f.before : Infinity;
      const older = all.filter((m) => m.seq < before).reverse();
      return { data: { messages: older.slice(0, limit), has_more: older.length > limit, server_time: this.now() } };
    },
    convs: (_f, conn) => ({ data: { conversations: this.conversationsOf(conn.user!), total_unread: 0 } }),
    read: (f) => ({ data: { conv_id: f.conv_id, read_seq: f.seq, unread: 0 } }),
    presence: (f) => ({ data: { users: (f.user_ids as string[]).map((user_id) => ({ user_id, online: false, platforms: [] })) } }),
    logout: () => ({ data: { revoked: true } }),
  };

  /** Store a message (no push); seq defaults to the next one. */
  addMessage(convId: string, partial: Partial<Message> = {}): Message {
    const list = this.messages.get(convId) ?? [];
    const seq = partial.seq ?? (list.length ? list[list.length - 1]!.seq + 1 : 1);
    const msg: Message = {
      msg_id: `m-${convId}-${seq}`, conv_id: convId, conv_type: parseConvId(convId)?.type ?? 'single', seq,
      sender: 'someone', cmid: `cm-${seq}`, type: 'text', content: { text: `#${seq}` }, status: 'normal', created_at: Date.now(),
      ...partial,
    };
    list.push(msg);
    list.sort((a, b) => a.seq - b.seq);
    this.messages.set(convId, list);
    return msg;
  }

  conversationsOf(user: string): Conversation[] {
    return [...this.messages.entries()]
      .filter(([conv]) => !conv.startsWith('s:') || parseConvId(conv)?.users?.includes(user))
      .map(([conv, list]) => ({
        conv_id: conv, conv_type: parseConvId(conv)?.type ?? 'single', peer: '', name: conv,
        last_seq: list.length ? list[list.length - 1]!.seq : 0, read_seq: 0, unread: 0,
        pinned: false, muted: false, hidden: false, updated_at: Date.now(),
      }));
  }

  /** Push a frame to every open, authenticated connection. */
  push(frame: ServerFrame): void {
    for (const c of this.open()) c.send(frame);
  }

  open(): FakeConn[] {
    return this.conns.filter((c) => !c.closed && c.user);
  }

  sends(): Frame[] {
    return this.received.filter((r) => r.frame.op === 'send').map((r) => r.frame);
  }

  framesOf(op: string): Frame[] {
    return this.received.filter((r) => r.frame.op === op).map((r) => r.frame);
  }

  dropAll(): void {
    for (const c of this.conns) if (!c.closed) c.terminate();
  }
}

/** The fake server on a WebSocket (ws) listener at 127.0.0.1, random port. */
export class FakeWsServer extends FakeServer {
  private wss!: WebSocketServer;
  url = '';

  static async start(): Promise<FakeWsServer> {
    const s = new FakeWsServer();
    s.wss = new WebSocketServer({
      host: '127.0.0.1', port: 0, path: '/ws',
      verifyClient: (_info, cb) => {
        s.connectionAttempts++;
        if (s.refuse) cb(false, 503, 'refused');
        else cb(true);
      },
    });
    await new Promise<void>((r) => s.wss.once('listening', () => r()));
    s.url = `ws://127.0.0.1:${(s.wss.address() as AddressInfo).port}/ws`;
    s.wss.on('connection', (ws: WebSocket) => {
      const conn = s.attach((t) => ws.send(t), (c, r) => ws.close(c, r), () => ws.terminate());
      ws.on('message', (data) => void s.receive(conn, data.toString()));
      ws.on('close', () => (conn.closed = true));
      ws.on('error', () => undefined);
    });
    return s;
  }

  async stop(): Promise<void> {
    this.dropAll();
    await new Promise<void>((r) => this.wss.close(() => r()));
  }
}

/** The fake server on TCP with the protocol's length-prefixed framing. */
export class FakeTcpServer extends FakeServer {
  private server!: NetServer;
  port = 0;
  /** write every outgoing frame one byte at a time, to exercise reassembly */
  trickle = false;

  static async start(): Promise<FakeTcpServer> {
    const s = new FakeTcpServer();
    s.server = createServer((socket: Socket) => {
      s.connectionAttempts++;
      if (s.refuse) return void socket.destroy();
      const decoder = new TcpFrameDecoder(1024 * 1024);
      const write = (t: string) => {
        const bytes = encodeTcpFrame(t);
        if (!s.trickle) return void socket.write(bytes);
        for (const b of bytes) socket.write(Uint8Array.of(b));
      };
      const conn = s.attach(write, () => socket.end(), () => socket.destroy());
      socket.on('data', (chunk) => {
        for (const f of decoder.push(chunk)) void s.receive(conn, new TextDecoder().decode(f));
      });
      socket.on('close', () => (conn.closed = true));
      socket.on('error', () => undefined);
    });
    await new Promise<void>((r) => s.server.listen(0, '127.0.0.1', () => r()));
    s.port = (s.server.address() as AddressInfo).port;
    return s;
  }

  async stop(): Promise<void> {
    this.dropAll();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
