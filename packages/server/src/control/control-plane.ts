import { randomBytes } from 'node:crypto';
import type { Control, ControlMessage } from './control.js';
import type { ControlEvent, ControlEventOf, ControlEventType } from './control-messages.js';

/** Who sent a message a handler is applying: this process (applied at once) or another one. */
export type Origin = 'self' | 'peer';

type Handler<T extends ControlEventType> = (msg: ControlEventOf<T>, from: Origin) => void | Promise<void>;

export interface ControlPlaneOptions {
  /** a publish or a handler failed; the default ignores it (tests), core.ts logs and counts it */
  onError?: (err: unknown, stage: 'publish' | 'handler', type: string) => void;
}

/**
 * The typed front of the control seam that the services use (STYLE habit 14):
 * each cache registers one handler per message type and writes its change
 * once, through `publish`, which applies it in this process at once — so
 * the change holds here before the operation that made it answers — and
 * hands it to the control seam for every other process, whose copy runs the
 * same handler. The seam also delivers the message back to its publisher;
 * that echo is skipped, it was applied already.
 *
 * Publishing never throws and never leaves a floating promise: a failed
 * publish is reported to `onError` (logged and counted) and the change still
 * holds locally. A process that the seam could not reach calls every
 * `onReset` handler once it is back, and each cache then drops everything.
 */
export class ControlPlane {
  private readonly origin = randomBytes(8).toString('hex');
  private readonly handlers = new Map<string, Array<(msg: ControlEvent, from: Origin) => void | Promise<void>>>();
  private readonly unsubscribe: () => void;
  private readonly onError: NonNullable<ControlPlaneOptions['onError']>;
  private closed = false;

  constructor(private readonly control: Control, opts: ControlPlaneOptions = {}) {
    this.onError = opts.onError ?? (() => {});
    this.unsubscribe = control.subscribe((msg) => {
      if (msg.origin === this.origin) return;
      this.apply(msg as unknown as ControlEvent, 'peer');
    });
  }

  on<T extends ControlEventType>(type: T, handler: Handler<T>): void {
    let list = this.handlers.get(type);
    if (!list) this.handlers.set(type, (list = []));
    list.push(handler as unknown as (msg: ControlEvent, from: Origin) => void | Promise<void>);
  }

  /** `handler` runs whenever messages may have been missed: drop every cached entry. */
  onReset(handler: () => void): void {
    this.control.onReset(handler);
  }

  /** Apply here now, then send to every other process. */
  publish(msg: ControlEvent): void {
    this.apply(msg, 'self');
    if (this.closed) return; // shutting down: nothing of this process is served any more
    const wire: ControlMessage = { ...msg, origin: this.origin };
    this.control.publish(wire).catch((err: unknown) => this.onError(err, 'publish', msg.type));
  }

  /** Stop sending and applying messages (shutdown; the seam itself is closed by its owner). */
  close(): void {
    this.closed = true;
    this.unsubscribe();
  }

  private apply(msg: ControlEvent, from: Origin): void {
    // Types this build does not know are ignored: another version may be running beside it.
    for (const h of this.handlers.get(msg.type) ?? []) {
      try {
        const r = h(msg, from);
        if (r) r.catch((err: unknown) => this.onError(err, 'handler', msg.type));
      } catch (err) {
        this.onError(err, 'handler', msg.type);
      }
    }
  }
}
