import type { OutFrame } from './out-frame.js';

/**
 * The byte-level end of one client connection: the only part that differs
 * between WebSocket, TCP and UDP. Auth, heartbeat, limits and routing live once,
 * in Session (STYLE habit 9).
 *
 * A wire reports what it reads to its session (`Session.receive`,
 * `Session.reject`, `Session.tooLarge`, `Session.touch`) and calls
 * `Session.wireClosed` exactly once when the underlying socket is gone.
 */
export interface Wire {
  readonly kind: 'ws' | 'tcp' | 'udp';
  readonly remote: string;
  /** bytes accepted by write() but not yet handed to the kernel */
  bufferedBytes(): number;
  /** queue one frame; a no-op once the wire is closing */
  write(frame: OutFrame): void;
  /**
   * Close after what was written is flushed. `code` is a WebSocket close code;
   * TCP has no close codes and just ends the stream (clients learn the reason
   * from the error or `kicked` frame written before, where there is one).
   */
  close(code: number, reason: string): void;
  /** drop the connection now, discarding anything buffered */
  destroy(): void;
}
