import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ClientFrame, SendFrame } from '@parley/protocol';
import { childMain, reply } from '../lib/child.js';
import { corkForTurn, socketOf } from './cork.js';
import { ackOf, Sequencer } from './message-shape.js';

/**
 * Ceiling for Parley's persisted 1:1 path: the smallest server that does the
 * same durable work. Per `send` it gives the message the next seq of its
 * conversation and queues it; every `WINDOW_MS` (or at `MAX_BATCH` waiting,
 * Parley's defaults) one IMMEDIATE transaction on a WAL file with
 * synchronous=FULL stores the batch — the message row under the same two
 * unique keys (conversation+seq, and sender+cmid for dedup, `ON CONFLICT DO
 * NOTHING`), its folded search text, its trigram full-text row, the
 * conversation head (last seq and preview), the sender's read position — and
 * only after the commit are the acks and pushes written (coalesced per
 * event-loop turn, as Parley's link does). No validation, auth, membership
 * or events: what is left between this and Parley is Parley's own work.
 */
const WINDOW_MS = 2;
const MAX_BATCH = 512;

const dir = mkdtempSync(join(tmpdir(), 'parley-bench-relay-db-'));
const db = new Database(join(dir, 'relay.db'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.exec(`
  CREATE TABLE messages (
    conv_id TEXT NOT NULL, seq INTEGER NOT NULL, msg_id TEXT NOT NULL, sender TEXT NOT NULL, cmid TEXT NOT NULL,
    type TEXT NOT NULL, content TEXT NOT NULL, created_at INTEGER NOT NULL, fts_id INTEGER, search_text TEXT,
    PRIMARY KEY (conv_id, seq), UNIQUE (sender, cmid)
  ) STRICT;
  CREATE VIRTUAL TABLE message_fts USING fts5(body, content='', contentless_delete=1, tokenize='trigram case_sensitive 0');
  CREATE TABLE conversations (conv_id TEXT PRIMARY KEY, last_seq INTEGER NOT NULL, last_message TEXT, updated_at INTEGER NOT NULL) STRICT;
  CREATE TABLE reads (conv_id TEXT NOT NULL, user_id TEXT NOT NULL, read_seq INTEGER NOT NULL, PRIMARY KEY (conv_id, user_id)) STRICT, WITHOUT ROWID;
`);
const insertMessage = db.prepare(`INSERT INTO messages (conv_id, seq, msg_id, sender, cmid, type, content, created_at, fts_id, search_text)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (sender, cmid) DO NOTHING`);
const insertFts = db.prepare('INSERT INTO message_fts (rowid, body) VALUES (?, ?)');
const upsertHead = db.prepare(`INSERT INTO conversations (conv_id, last_seq, last_message, updated_at) VALUES (?, ?, ?, ?)
  ON CONFLICT (conv_id) DO UPDATE SET last_seq = max(last_seq, excluded.last_seq),
    last_message = CASE WHEN excluded.last_seq > last_seq THEN excluded.last_message ELSE last_message END, updated_at = excluded.updated_at`);
const upsertRead = db.prepare(`INSERT INTO reads (conv_id, user_id, read_seq) VALUES (?, ?, ?)
  ON CONFLICT DO UPDATE SET read_seq = max(read_seq, excluded.read_seq)`);

interface Queued { ws: WebSocket; id: SendFrame['id']; to: string; msg: ReturnType<Sequencer['message']> }
let ftsId = 0;
const commit = db.transaction((batch: Queued[]) => {
  const heads = new Map<string, Queued['msg']>();
  for (const { msg: m } of batch) {
    const text = (m.content as { text?: unknown }).text;
    const id = typeof text === 'string' ? ++ftsId : null;
    const r = insertMessage.run(m.conv_id, m.seq, m.msg_id, m.sender, m.cmid, m.type, JSON.stringify(m.content), m.created_at, id,
      typeof text === 'string' ? text.toLowerCase() : null);
    if (r.changes === 0) continue;
    if (id !== null) insertFts.run(id, text);
    heads.set(m.conv_id, m);
  }
  for (const m of heads.values()) {
    upsertHead.run(m.conv_id, m.seq, JSON.stringify({ seq: m.seq, sender: m.sender, type: m.type, content: m.content }), m.created_at);
    upsertRead.run(m.conv_id, m.sender, m.seq);
  }
});

let queue: Queued[] = [];
let timer: NodeJS.Timeout | null = null;

function flush(): void {
  if (timer) clearTimeout(timer);
  timer = null;
  const batch = queue;
  queue = [];
  if (batch.length === 0) return;
  commit.immediate(batch);
  for (const q of batch) {
    const peer = byUser.get(q.to);
    if (peer) send(peer, JSON.stringify({ op: 'msg', msg: q.msg }));
    send(q.ws, JSON.stringify({ op: 'ok', id: q.id, data: ackOf(q.msg) }));
  }
}

function enqueue(ws: WebSocket, user: string, f: SendFrame): void {
  queue.push({ ws, id: f.id, to: f.to, msg: seq.message(user, f) });
  if (queue.length >= MAX_BATCH) flush();
  else timer ??= setTimeout(flush, WINDOW_MS);
}

function send(ws: WebSocket, frame: string): void {
  corkForTurn(socketOf(ws));
  ws.send(frame);
}

const seq = new Sequencer();
const byUser = new Map<string, WebSocket>();
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, clientTracking: false });

wss.on('connection', (ws) => {
  let user = '';
  ws.on('message', (data) => {
    const f = JSON.parse(data.toString()) as ClientFrame;
    if (f.op === 'send') enqueue(ws, user, f);
    else if (f.op === 'auth') {
      user = f.token;
      byUser.set(user, ws);
      ws.send(JSON.stringify({ op: 'ok', id: f.id, data: { user_id: user } }));
    } else if (f.op === 'ping') {
      ws.send(JSON.stringify({ op: 'pong', id: f.id, t: Date.now() }));
    }
  });
  ws.on('close', () => { if (byUser.get(user) === ws) byUser.delete(user); });
  ws.on('error', () => ws.terminate());
});

wss.on('listening', () => {
  const addr = wss.address();
  reply({ type: 'listening', url: `ws://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}` });
});

// the database lives only as long as this child
process.on('exit', () => {
  try { db.close(); } catch { /* already closed */ }
  rmSync(dir, { recursive: true, force: true });
});

childMain(() => {});
