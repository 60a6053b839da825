import type { ErrorFrame, OkFrame } from '@parley/protocol';
import { errorFromFrame, RequestTimeoutError } from './errors.js';

interface Pending {
  op: string;
  resolve(data: unknown): void;
  reject(err: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * Requests awaiting their `ok`/`error`, by id. Ids are increasing integers
 * over the client's whole life (not per connection), so a late answer on a
 * new connection can never be taken for another request's.
 */
export class PendingRequests {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  /** Register a request; returns the id to put on the frame. Exactly one of resolve/reject is called. */
  open(op: string, timeoutMs: number, resolve: (data: unknown) => void, reject: (err: Error) => void): number {
    const id = this.nextId++;
    const timer = setTimeout(() => {
      this.pending.delete(id);
      reject(new RequestTimeoutError(op, timeoutMs));
    }, timeoutMs);
    this.pending.set(id, { op, resolve, reject, timer });
    return id;
  }

  /** Route an answer; false when no request with its id is waiting (late or foreign). */
  settle(frame: OkFrame | ErrorFrame): boolean {
    if (typeof frame.id !== 'number') return false;
    const p = this.pending.get(frame.id);
    if (!p) return false;
    this.pending.delete(frame.id);
    clearTimeout(p.timer);
    if (frame.op === 'ok') p.resolve(frame.data);
    else p.reject(errorFromFrame(frame));
    return true;
  }

  fail(id: number, err: Error): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    p.reject(err);
  }

  /** The connection is gone: nothing in flight will be answered. */
  failAll(err: Error): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) {
      clearTimeout(p.timer);
      p.reject(err);
    }
  }

  get size(): number {
    return this.pending.size;
  }
}
