import { Packr } from 'msgpackr';

/**
 * Subjects and wire encoding of the NATS transport (transport=nats, the
 * seed's v1 architecture: link → bus → dispatch → bus → link). Every
 * subject sits under `<prefix>.t.` so clusters sharing one NATS stay apart.
 *
 * - `up.<dispatch id>`: the upstream of the sessions bound to that dispatcher
 * - `down.<link id>`: everything any dispatcher or api sends to that link
 * - `ctl.d`: dispatcher heartbeats and goodbyes (links bind sessions to the live ones)
 * - `ctl.l`: link hellos, heartbeats and goodbyes (dispatchers track the live links)
 *
 * NATS core keeps the order of one publisher's messages to one subscriber
 * connection across subjects, which is what carries the seam's order
 * guarantees: a session's frames reach its dispatcher in order, and a
 * goodbye arrives after everything its sender published before it.
 */
export const subjects = (prefix: string) => ({
  up: (dispatchId: string) => `${prefix}.t.up.${dispatchId}`,
  down: (linkId: string) => `${prefix}.t.down.${linkId}`,
  dispatchers: `${prefix}.t.ctl.d`,
  links: `${prefix}.t.ctl.l`,
});

/** a control message on `ctl.d` / `ctl.l` */
export type Beat = { t: 'hello' | 'hb' | 'bye'; id: string; boot: string };

const packr = new Packr({ useRecords: false });
export const pack = (v: unknown): Uint8Array => packr.pack(v);
export const unpack = <T>(b: Uint8Array): T => packr.unpack(b) as T;

/** NATS subject tokens may not hold these; ids that do cannot be routed. */
export function checkToken(id: string, what: string): void {
  if (!id || /[\s.*>]/.test(id)) throw new Error(`${what} "${id}" cannot be a NATS subject token (no spaces, dots, * or >)`);
}
