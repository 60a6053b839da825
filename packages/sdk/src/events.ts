import type { Message, Presence, SendAck, ConvPush, KickedPush, ReadPush, TypingPush } from '@parley/protocol';

/** Lifecycle of a client; see ParleyClient for the transitions. */
export type ClientState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface StateChange {
  state: ClientState;
  prev: ClientState;
  /** why the client left 'open' or gave up, when there was a reason */
  error?: Error;
}

export type ReadEvent = Omit<ReadPush, 'op'>;
export type TypingEvent = Omit<TypingPush, 'op'>;
export type ConvEvent = Omit<ConvPush, 'op'>;
/** `unknown` when the server closed with the kicked code without saying why first. */
export interface KickedEvent { reason: KickedPush['reason'] | 'unknown' }

/** Every event a client emits, with its payload. */
export interface ClientEvents {
  state: StateChange;
  /** a message of another sender or device; once per (conv_id, seq), in seq order per conversation */
  message: Message;
  read: ReadEvent;
  typing: TypingEvent;
  presence: Presence;
  conv: ConvEvent;
  kicked: KickedEvent;
  /** problems not tied to a promise: error frames without id, gap fills that failed, throwing handlers */
  error: Error;
  /** an ack of one of this client's sends (also delivered through the send promise) */
  ack: SendAck;
}

export type ClientEventName = keyof ClientEvents;
export type ClientEventHandler<K extends ClientEventName> = (payload: ClientEvents[K]) => void;

/**
 * A small typed emitter. Handlers run synchronously in registration order; a
 * throwing handler never breaks the client or other handlers: its error is
 * re-emitted as 'error' (and dropped when an 'error' handler itself throws,
 * since there is nowhere left to report it).
 */
export class Emitter<E extends object> {
  private readonly handlers = new Map<keyof E, Set<(payload: never) => void>>();

  on<K extends keyof E>(event: K, handler: (payload: E[K]) => void): () => void {
    let set = this.handlers.get(event);
    if (!set) this.handlers.set(event, (set = new Set()));
    const h = handler as (payload: never) => void;
    set.add(h);
    return () => {
      set.delete(h);
    };
  }

  emit<K extends keyof E>(event: K, payload: E[K]): void {
    const set = this.handlers.get(event);
    if (!set) return;
    for (const h of [...set]) {
      try {
        (h as (payload: E[K]) => void)(payload);
      } catch (err) {
        if (event !== 'error') this.emit('error' as K, toError(err) as E[K]);
      }
    }
  }

  listenerCount(event: keyof E): number {
    return this.handlers.get(event)?.size ?? 0;
  }
}

export function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
