import type { ClientFrame, ReqId } from '@parley/protocol';

/**
 * The requests of one connection that went upstream and have no answer yet,
 * in the order they were sent: what the link re-sends when the dispatcher
 * holding the session goes away. Re-sending is safe because every request
 * with an id is idempotent or harmless twice (sends dedup by cmid, reads and
 * settings converge). Frames without an id are fire-and-forget and not kept.
 *
 * Bounded: past `max` entries the oldest is forgotten (its client times out
 * and retries by itself).
 */
export class UnansweredFrames {
  private readonly byId = new Map<ReqId, ClientFrame>();

  constructor(private readonly max = 256) {}

  get size(): number {
    return this.byId.size;
  }

  track(frame: ClientFrame): void {
    const id = 'id' in frame ? frame.id : undefined;
    if (id === undefined) return;
    this.byId.delete(id); // a reused id moves to the end
    this.byId.set(id, frame);
    if (this.byId.size > this.max) this.byId.delete(this.byId.keys().next().value!);
  }

  /** The request will not be answered through the dispatcher (it was refused on the way up): do not re-send it. */
  forget(id: ReqId): void {
    this.byId.delete(id);
  }

  /** A downstream payload for this connection: forget the request it answers, if any. */
  answered(payload: string): void {
    if (this.byId.size === 0) return;
    const id = answerId(payload);
    if (id !== undefined) this.byId.delete(id);
  }

  /** Oldest first. */
  frames(): ClientFrame[] {
    return [...this.byId.values()];
  }
}

// Dispatch writes answers as {"op":"ok"|"error","id":…, …} (op first, then id), so the id is read from the prefix.
const PREFIX = /^\{"op":"(?:ok|error)","id":("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)[,}]/;

function answerId(payload: string): ReqId | undefined {
  const m = PREFIX.exec(payload);
  if (m) return JSON.parse(m[1]!) as ReqId;
  if (!payload.startsWith('{"op":"ok"') && !payload.startsWith('{"op":"error"')) return undefined;
  try {
    const id = (JSON.parse(payload) as { id?: ReqId }).id;
    return id;
  } catch {
    return undefined;
  }
}
