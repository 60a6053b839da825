import Database from 'better-sqlite3';
import Fastify from 'fastify';
import { WebSocketServer } from 'ws';
import { parseConvId, type ClientFrame, type Message } from '@parley/protocol';
import { childMain, reply } from '../lib/child.js';

/**
 * Ceilings for history, newest 50: a bare `ws` endpoint (argv[2] = 'ws') or
 * a bare Fastify route (argv[2] = 'fastify') answering from the very SQLite
 * file Parley is serving (argv[3], opened read-only beside it; WAL lets both
 * read). The same rows and the same answer shape: the reader's member row
 * bounds the timeline (join seq), newest first, each row turned into the
 * wire message. No auth beyond "the token is the user id", no validation,
 * no metrics: what is left between this and Parley is Parley's own work.
 */
const [kind, dbPath] = process.argv.slice(2);
const db = new Database(dbPath, { readonly: true, fileMustExist: true });
const appId = db.prepare('SELECT app_id FROM apps ORDER BY created_at LIMIT 1').pluck().get() as string;
const newest = db.prepare(`SELECT m.conv_id, m.seq, m.msg_id, m.sender, m.cmid, m.type, m.content, m.mentions, m.reply_to, m.status, m.created_at, m.edited_at
  FROM conversation_members cm JOIN messages m ON m.app_id = cm.app_id AND m.conv_id = cm.conv_id AND m.seq >= cm.join_seq
  WHERE cm.app_id = ? AND cm.conv_id = ? AND cm.user_id = ? ORDER BY m.seq DESC LIMIT ?`);

interface Row { conv_id: string; seq: number; msg_id: string; sender: string; cmid: string; type: string; content: string; mentions: string | null; reply_to: number | null; status: string; created_at: number; edited_at: number | null }

function history(user: string, convId: string, limit: number): { messages: Message[]; has_more: boolean } {
  const rows = newest.all(appId, convId, user, limit + 1) as Row[];
  const messages = rows.slice(0, limit).map((r) => {
    const m = {
      msg_id: r.msg_id, conv_id: r.conv_id, conv_type: parseConvId(r.conv_id)?.type ?? 'single', seq: r.seq, sender: r.sender, cmid: r.cmid,
      type: r.type, content: r.status === 'recalled' ? null : JSON.parse(r.content), status: r.status, created_at: r.created_at,
    } as Message;
    if (r.mentions) m.mentions = JSON.parse(r.mentions);
    if (r.reply_to !== null) m.reply_to = r.reply_to;
    if (r.edited_at) m.edited_at = r.edited_at;
    return m;
  });
  return { messages, has_more: rows.length > limit };
}

function listening(url: string): void {
  reply({ type: 'listening', url });
}

if (kind === 'ws') {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, clientTracking: false });
  wss.on('connection', (ws) => {
    let user = '';
    ws.on('message', (data) => {
      const f = JSON.parse(data.toString()) as ClientFrame;
      if (f.op === 'history') ws.send(JSON.stringify({ op: 'ok', id: f.id, data: history(user, f.conv_id, f.limit ?? 50) }));
      else if (f.op === 'auth') {
        user = f.token;
        ws.send(JSON.stringify({ op: 'ok', id: f.id, data: { user_id: user } }));
      }
    });
    ws.on('error', () => ws.terminate());
  });
  wss.on('listening', () => {
    const addr = wss.address();
    listening(`ws://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`);
  });
} else if (kind === 'fastify') {
  const app = Fastify({ logger: false });
  app.get<{ Params: { conv_id: string }; Querystring: { limit?: string } }>('/v1/conversations/:conv_id/messages', async (req) => {
    const user = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    return history(user, req.params.conv_id, Number(req.query.limit ?? 50));
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  listening(url);
} else {
  throw new Error(`bare-history: unknown kind ${kind} (ws | fastify)`);
}

childMain(() => {});
