import { Packr, Unpackr } from 'msgpackr';
import { ParleyError } from '@parley/protocol';
import type { OutFrame } from './out-frame.js';

/**
 * The compact body of UDP frames: the same protocol objects as the JSON of
 * WebSocket and TCP, in plain MessagePack (string-keyed maps, no records or
 * extensions), so any MessagePack library on a native client reads it.
 */
const packr = new Packr({ useRecords: false, moreTypes: false });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });

/** Each server frame is packed once, whatever the number of UDP connections it goes to. */
const packed = new WeakMap<OutFrame, Uint8Array>();

export function packOutFrame(frame: OutFrame): Uint8Array {
  let bytes = packed.get(frame);
  if (!bytes) {
    bytes = packr.pack(JSON.parse(frame.text));
    packed.set(frame, bytes);
  }
  return bytes;
}

/**
 * A client frame as the JSON text the session reads (validation stays in one
 * place), or the error to answer when it is not MessagePack of a JSON value.
 */
export function unpackClientFrame(bytes: Uint8Array): string | ParleyError {
  try {
    const text = JSON.stringify(unpackr.unpack(bytes));
    if (typeof text !== 'string') throw new TypeError('no JSON value');
    return text;
  } catch {
    return new ParleyError('bad_frame', 'UDP frame body is not a MessagePack object');
  }
}
