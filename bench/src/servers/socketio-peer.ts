import { createServer } from 'node:http';
import { Server, type Socket } from 'socket.io';
import type { SendFrame } from '@parley/protocol';
import { childMain, reply } from '../lib/child.js';
import { ackOf, Sequencer } from './message-shape.js';

/**
 * Peer: what a Node team would write instead — Socket.IO (WebSocket
 * transport only, no persistence). A `send` event with an ack callback; the
 * server emits `msg` to the peer's socket and acks, the same exchange as the
 * relay ceiling, with Socket.IO's framing and bookkeeping on top.
 */
const seq = new Sequencer();
const byUser = new Map<string, Socket>();
const http = createServer();
const io = new Server(http, { transports: ['websocket'], perMessageDeflate: false, serveClient: false });

io.on('connection', (socket) => {
  const user = String(socket.handshake.auth.user ?? '');
  byUser.set(user, socket);
  socket.on('send', (f: SendFrame, ack: (a: unknown) => void) => {
    const m = seq.message(user, f);
    byUser.get(f.to)?.emit('msg', m);
    if (typeof ack === 'function') ack(ackOf(m));
  });
  socket.on('disconnect', () => { if (byUser.get(user) === socket) byUser.delete(user); });
});

http.listen(0, '127.0.0.1', () => {
  const addr = http.address();
  reply({ type: 'listening', url: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}` });
});

childMain(() => {});
