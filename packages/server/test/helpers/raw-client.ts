import WebSocket from 'ws';
import type { ServerFrame } from '@parley/protocol';

/**
 * A bare WebSocket client that speaks raw frames: for tests that must send
 * what the SDK never would (malformed JSON, wrong types, unknown ops).
 */
export class RawClient {
  readonly frames: ServerFrame[] = [];
  private waiters: Array<{ pred: (f: ServerFrame) => boolean; resolve: (f: ServerFrame) => void }> = [];
  closed: { code: number; reason: string } | null = null;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const f = JSON.parse(String(data)) as ServerFrame;
      this.frames.push(f);
      this.waiters = this.waiters.filter((w) => (w.pred(f) ? (w.resolve(f), false) : true));
    });
    ws.on('close', (code, reason) => (this.closed = { code, reason: String(reason) }));
  }

  static async open(url: string): Promise<RawClient> {
    const ws = new WebSocket(url);
    await new Promise<void>((res, rej) => {
      ws.once('open', () => res());
      ws.once('error', rej);
    });
    return new RawClient(ws);
  }

  static async authed(url: string, token: string, platform = 'web'): Promise<RawClient> {
    const c = await RawClient.open(url);
    const ok = await c.request({ op: 'auth', id: 'auth', token, platform });
    if (ok.op !== 'ok') throw new Error(`auth failed: ${JSON.stringify(ok)}`);
    return c;
  }

  sendRaw(text: string | Buffer): void {
    this.ws.send(text);
  }

  /** Wait for the first frame (already received or future) matching pred. */
  next(pred: (f: ServerFrame) => boolean, timeoutMs = 5000): Promise<ServerFrame> {
    const seen = this.frames.find(pred);
    if (seen) {
      this.frames.splice(this.frames.indexOf(seen), 1);
      return Promise.resolve(seen);
    }
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timeout waiting for frame; got ${JSON.stringify(this.frames.slice(-5))}`)), timeoutMs);
      this.waiters.push({
        pred,
        resolve: (f) => {
          clearTimeout(t);
          this.frames.splice(this.frames.indexOf(f), 1);
          resolve(f);
        },
      });
    });
  }

  /** Send a frame with an id and wait for its ok/error. */
  request(frame: Record<string, unknown>, timeoutMs = 5000): Promise<ServerFrame> {
    this.ws.send(JSON.stringify(frame));
    const id = frame.id;
    return this.next((f) => (f.op === 'ok' || f.op === 'error') && 'id' in f && f.id === id, timeoutMs);
  }

  waitClose(timeoutMs = 5000): Promise<{ code: number; reason: string }> {
    if (this.closed) return Promise.resolve(this.closed);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('timeout waiting for close')), timeoutMs);
      this.ws.once('close', (code, reason) => {
        clearTimeout(t);
        resolve({ code, reason: String(reason) });
      });
    });
  }

  close(): void {
    this.ws.close();
  }
}
