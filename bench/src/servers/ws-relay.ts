import { WebSocketServer, type WebSocket } from 'ws';
import type { ClientFrame } from '@parley/protocol';
import { childMain, reply } from '../lib/child.js';
import { corkForTurn, socketOf } from './cork.js';
import { ackOf, Sequencer } from './message-shape.js';

/**
 * Ceiling for 1:1 throughput: a minimal `ws` relay. Per frame it parses the
 * JSON, forwards a `msg` push to the peer and answers the sender with an `ok`
 * ack — the same two frames Parley writes, minus validation, storage and the
 * wait for a commit. The `auth` token is taken as the user id. Writes are
 * coalesced per event-loop turn, as Parley's link does.
 */
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
    if (f.op === 'send') {
      const m = seq.message(user, f);
      const peer = byUser.get(f.to);
      if (peer) send(peer, JSON.stringify({ op: 'msg', msg: m }));
      send(ws, JSON.stringify({ op: 'ok', id: f.id, data: ackOf(m) }));
    } else if (f.op === 'auth') {
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

childMain(() => {});
