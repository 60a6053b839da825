import type { Socket } from 'node:net';

/**
 * What Parley's link does to its sockets (link/write-batcher.ts), repeated
 * here because the bench imports nothing of the server: the first write of an
 * event-loop turn corks the socket and one setImmediate uncorks every socket
 * written to in that turn, so a burst of frames to one connection leaves in
 * one writev. Ceilings that did not do this would be naive baselines, and a
 * ratio above 1 would mean nothing.
 */
const corked = new Set<Socket>();
let scheduled = false;

function flushAll(): void {
  scheduled = false;
  for (const s of corked) if (!s.destroyed) s.uncork();
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

/** `ws` keeps its net.Socket in `_socket` (Parley's WsWire reaches it the same way). */
export function socketOf(ws: unknown): Socket | undefined {
  return (ws as { _socket?: Socket })._socket;
}
