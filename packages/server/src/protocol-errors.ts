import { ParleyError, type ErrorCode } from '@parley/protocol';
import { StoreError } from './store/store.js';

/**
 * The one mapping from domain and store errors to the protocol's catalogue
 * (STYLE habit 5), used by the WebSocket/TCP path (the dispatcher) and the
 * HTTP API alike, so a store failure reads the same on every surface.
 *
 * A StoreError's kind is backend-neutral (each store translates its driver's
 * errors); an `unavailable` store keeps its driver message out of the answer
 * (it goes to the log only).
 */
const STORE_KINDS: Record<StoreError['kind'], ErrorCode> = {
  not_found: 'not_found',
  duplicate: 'already_exists',
  conflict: 'conflict',
  unavailable: 'unavailable',
};

export function storeErrorToParley(err: StoreError): ParleyError {
  return new ParleyError(STORE_KINDS[err.kind], err.kind === 'unavailable' ? undefined : err.message);
}

/** A ParleyError as is, a StoreError mapped; anything else is not ours to name (undefined). */
export function toProtocolError(err: unknown): ParleyError | undefined {
  if (err instanceof ParleyError) return err;
  if (err instanceof StoreError) return storeErrorToParley(err);
  return undefined;
}
