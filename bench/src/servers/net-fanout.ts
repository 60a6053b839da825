import net from 'node:net';
import type { ClientFrame } from '@parley/protocol';
import { childMain, reply } from '../lib/child.js';
import { corkForTurn } from './cork.js';
import { ackOf, Sequencer } from './message-shape.js';

/**
 * Ceiling for group fan-out: raw `net` sockets, newline-delimited JSON. A
 * group `send` becomes one `msg` push whose bytes are encoded once and
 * written to every other connected socket (everyone connected is in the one
 * group), then the sender gets its ack. No membership, storage or limits.
 * Writes are coalesced per event-loop turn, as Parley's link does.
 */
const seq = new Sequencer();
const sockets = new Set<net.Socket>();

const server = net.createServer({ noDelay: true }, (sock) => {
  let user = '';
  let buf = '';
  sock.setEncoding('utf8');
  sock.on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const f = JSON.parse(line) as ClientFrame;
      if (f.op === 'send') {
        const m = seq.message(user, f);
        const bytes = Buffer.from(JSON.stringify({ op: 'msg', msg: m }) + '\n');
        for (const s of sockets) {
          if (s === sock) continue;
          corkForTurn(s);
          s.write(bytes);
        }
        corkForTurn(sock);
        sock.write(JSON.stringify({ op: 'ok', id: f.id, data: ackOf(m) }) + '\n');
      } else if (f.op === 'auth') {
        user = f.token;
        sockets.add(sock);
        sock.write(JSON.stringify({ op: 'ok', id: f.id, data: { user_id: user } }) + '\n');
      }
    }
  });
  sock.on('close', () => sockets.delete(sock));
  sock.on('error', () => sock.destroy());
});

server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  reply({ type: 'listening', url: `tcp://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}` });
});

childMain(() => {});
