import type { Socket } from 'node:net';

/**
 * Coalesces a socket's writes within one turn of the event loop into one
 * system call: the first write of a turn corks the socket, and a single
 * setImmediate for the whole process uncorks every socket written to in that
 * turn. A group commit acks and pushes many frames in one turn, so without
 * this each frame costs its own writev (68% of the server's time in the
 * fan-out benchmark). The delay is at most the rest of the current turn.
 */
const corked = new Set<Socket>();
let scheduled = false;

function flushAll(): void {
  scheduled = false;
  for (const s of corked) {
    if (!s.destroyed) s.uncork();
  }
  corked.clear();
}

export function corkForTurn(socket: Socket | undefined): void {
  if (!socket || corked.has(socket) || socket.destroyed) return;
  socket.cork();
  corked.add(socket);
  if (!scheduled) {
    scheduled = true;
    setImmediate(flushAll);
  }
}
