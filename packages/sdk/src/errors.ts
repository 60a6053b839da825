import { ParleyError, isErrorCode, type ErrorFrame, CLOSE_CODES } from '@parley/protocol';
import type { KickedEvent } from './events.js';

/**
 * Errors the SDK makes up itself. All are ParleyErrors so apps switch on one
 * `code`/`retryable` pair whether the server or the SDK raised them.
 */

/** No answer within the request timeout; the server may still have done it. */
export class RequestTimeoutError extends ParleyError {
  constructor(readonly op: string, readonly timeoutMs: number) {
    super('unavailable', `${op} got no answer within ${timeoutMs} ms`);
    this.name = 'RequestTimeoutError';
  }
}

/** The connection went away before an answer arrived, or there is none right now. */
export class ConnectionLostError extends ParleyError {
  constructor(message = 'connection lost', readonly closeCode?: number) {
    super('unavailable', message);
    this.name = 'ConnectionLostError';
  }
}

/** The app closed the client; pending work is abandoned. */
export class ClientClosedError extends ParleyError {
  constructor() {
    super('unavailable', 'client closed');
    this.name = 'ClientClosedError';
  }
}

/** The server ended this login (newer login on the platform, logout, revocation); never retried. */
export class KickedError extends ParleyError {
  constructor(readonly reason: KickedEvent['reason']) {
    super('forbidden', `kicked by the server: ${reason}`);
    this.name = 'KickedError';
  }
}

/** Map an error frame to a ParleyError; codes this SDK does not know yet become `internal`. */
export function errorFromFrame(frame: Pick<ErrorFrame, 'code' | 'message'>): ParleyError {
  const message = typeof frame.message === 'string' ? frame.message : undefined;
  return isErrorCode(frame.code) ? new ParleyError(frame.code, message) : new ParleyError('internal', message ?? String(frame.code));
}

/** What a transport close means for pending work and for reconnecting. */
export function errorFromClose(code: number, reason: string): ParleyError {
  if (code === CLOSE_CODES.auth_failed) return new ParleyError('unauthenticated', `authentication failed${reason ? `: ${reason}` : ''}`);
  if (code === CLOSE_CODES.kicked) return new KickedError('unknown');
  return new ConnectionLostError(`connection closed (${code}${reason ? ` ${reason}` : ''})`, code);
}

/** Errors after which retrying cannot help: auth failures, kicks, refusals. */
export function isFatal(err: Error): boolean {
  return err instanceof ParleyError && !err.retryable;
}
