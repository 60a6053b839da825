import type { MemberPatch } from '../store/store.js';

/**
 * Every message the services send over the control plane (control.ts), one
 * type per kind of per-process state. Each is sent after the change it
 * describes is committed to the store, and is applied by the sending process
 * at once (before the operation answers) and by every other process when it
 * arrives. Handlers are idempotent and commutative where two processes can
 * race (drops, or max-merges of values that only grow), so every process
 * converges on what the store holds.
 *
 * Kicks from multi-login are not here: every dispatcher reaches every link
 * through the transport, so a kick goes straight to the link holding the
 * connection (pusher.ts).
 */
export type ControlEvent =
  /** an app's row changed (settings): drop it, by id and by key hash */
  | { type: 'app.changed'; app_id: string; api_key_hash: string }
  /** tokens issued before `valid_after` (ms) are revoked: raise the cached watermark */
  | { type: 'user.revoked'; app_id: string; user_id: string; valid_after: number }
  /** a group's row changed (name, owner, mute-all, dismissed): drop it */
  | { type: 'group.changed'; app_id: string; group_id: string }
  /** who belongs to a conversation, or a role or mute, changed: drop its member list */
  | { type: 'members.changed'; app_id: string; conv_id: string }
  /** one member's list settings changed: the sender patches in place, the others drop the list */
  | { type: 'member.patched'; app_id: string; conv_id: string; user_id: string; patch: MemberPatch }
  /** read positions moved (coalesced): raise each cached read_seq, never lower it */
  | { type: 'reads.advanced'; positions: Array<[app_id: string, conv_id: string, user_id: string, read_seq: number]> }
  /** a user's block list changed: drop it */
  | { type: 'blocks.changed'; app_id: string; blocker: string }
  /** a user came online or went offline: each process tells its own watching connections */
  | { type: 'presence.changed'; app_id: string; user_id: string };

export type ControlEventType = ControlEvent['type'];
export type ControlEventOf<T extends ControlEventType> = Extract<ControlEvent, { type: T }>;
