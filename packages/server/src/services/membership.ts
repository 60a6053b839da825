import type { MemberRole } from '@parley/protocol';
import { LoadingCache } from '../cache/loading-cache.js';
import type { ControlPlane } from '../control/control-plane.js';
import type { MemberPatch, MemberRow, Store } from '../store/store.js';

/**
 * A new member row: sees the conversation from `joinSeq` on and has read
 * everything before it, so unread starts at zero; no mutes or list settings.
 */
export function newMemberRow(appId: string, convId: string, userId: string, joinedAt: number, role: MemberRole = 'member', joinSeq = 0): MemberRow {
  return {
    app_id: appId, conv_id: convId, user_id: userId, role, join_seq: joinSeq, read_seq: Math.max(0, joinSeq - 1),
    muted_until: 0, muted: false, pinned: false, hidden: false, joined_at: joinedAt,
  };
}

/**
 * Member rows per conversation, cached (bounded, least recently used out):
 * every send to a group needs the member list (access check and push
 * fan-out), and reading 2,000 rows per message would dominate the send path.
 *
 * Across processes, through the control plane (control-messages.ts):
 * - `invalidate` (who belongs, roles, mutes) drops the list here at once —
 *   before the operation that changed the store answers — and in every other
 *   process when `members.changed` arrives; a list read before the drop is
 *   never cached after it (cache/loading-cache.ts), so once a process has
 *   applied the message it refuses a removed member and accepts an added one.
 *   The window that remains is the message's delivery to the other
 *   processes: until then a dispatcher elsewhere still holds the old list
 *   (docs/architecture.md, "Caches across processes").
 * - `patch` of list settings (pinned, muted, hidden) changes the row in
 *   place here; other processes drop the list and re-read it, so two
 *   processes patching the same row at once still converge on the store.
 * - read positions, which move on every read and send, are raised in place
 *   everywhere (max-merge: order does not matter) and sent coalesced, one
 *   message per event-loop turn.
 * - a control reset drops every list.
 * Member lists must be read from the store's primary: a lagging replica
 * would re-cache what an invalidation just dropped.
 */
export class Membership {
  private readonly lists: LoadingCache<string, Map<string, MemberRow>>;
  private pendingReads = new Map<string, [string, string, string, number]>();
  private flushScheduled = false;

  constructor(private readonly store: Store, private readonly control: ControlPlane, opts: { maxEntries?: number } = {}) {
    this.lists = new LoadingCache(opts.maxEntries ?? 20000);
    control.on('members.changed', (m) => this.lists.invalidate(this.key(m.app_id, m.conv_id)));
    control.on('member.patched', (m, from) => {
      if (from === 'self') this.patchInPlace(m.app_id, m.conv_id, m.user_id, m.patch);
      else this.lists.invalidate(this.key(m.app_id, m.conv_id));
    });
    control.on('reads.advanced', (m) => {
      for (const [app, conv, user, seq] of m.positions) this.patchInPlace(app, conv, user, { read_seq: seq });
    });
    control.onReset(() => this.lists.clear());
  }

  private key(appId: string, convId: string): string {
    return `${appId}\u0000${convId}`;
  }

  async members(appId: string, convId: string): Promise<Map<string, MemberRow>> {
    const m = await this.lists.get(this.key(appId, convId), async () => {
      const rows = await this.store.listMembers(appId, convId);
      return new Map(rows.map((r) => [r.user_id, r]));
    });
    return m!;
  }

  async member(appId: string, convId: string, userId: string): Promise<MemberRow | undefined> {
    return (await this.members(appId, convId)).get(userId);
  }

  /** Apply a change already written to the store to the cached row, here and in every other process. */
  patch(appId: string, convId: string, userId: string, patch: MemberPatch & { read_seq?: number }): void {
    const { read_seq, ...settings } = patch;
    if (Object.values(settings).some((v) => v !== undefined)) {
      this.control.publish({ type: 'member.patched', app_id: appId, conv_id: convId, user_id: userId, patch: settings });
    }
    if (read_seq !== undefined) {
      this.patchInPlace(appId, convId, userId, { read_seq });
      this.queueRead(appId, convId, userId, read_seq);
    }
  }

  /** `patch` of only the read position (the send path's, once per message): raised here, sent coalesced. */
  advanceRead(appId: string, convId: string, userId: string, seq: number): void {
    const row = this.lists.peek(this.key(appId, convId))?.get(userId);
    if (row && seq > row.read_seq) row.read_seq = seq;
    this.queueRead(appId, convId, userId, seq);
  }

  /** Drop the member list here and in every other process (membership, role or mute changed in the store). */
  invalidate(appId: string, convId: string): void {
    this.control.publish({ type: 'members.changed', app_id: appId, conv_id: convId });
  }

  /** Drop the list here only: the store showed it stale (whoever changed the store has published the invalidation). */
  forget(appId: string, convId: string): void {
    this.lists.invalidate(this.key(appId, convId));
  }

  private patchInPlace(appId: string, convId: string, userId: string, patch: MemberPatch & { read_seq?: number }): void {
    const row = this.lists.peek(this.key(appId, convId))?.get(userId);
    if (!row) return;
    for (const [k, v] of Object.entries(patch) as Array<[keyof MemberRow, never]>) {
      if (v === undefined) continue; // an absent field of a partial update changes nothing
      if (k === 'read_seq' && (v as number) < row.read_seq) continue; // read_seq only moves forward
      row[k] = v;
    }
  }

  /** Read positions go out coalesced: a commit batch moves many of them in one turn. */
  private queueRead(appId: string, convId: string, userId: string, seq: number): void {
    const k = `${appId}\u0000${convId}\u0000${userId}`;
    const queued = this.pendingReads.get(k);
    if (queued && queued[3] >= seq) return;
    this.pendingReads.set(k, [appId, convId, userId, seq]);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flushReads());
  }

  private flushReads(): void {
    this.flushScheduled = false;
    const positions = [...this.pendingReads.values()];
    this.pendingReads = new Map();
    // Bounded message size: a very large turn goes out in several messages.
    for (let i = 0; i < positions.length; i += 500) {
      this.control.publish({ type: 'reads.advanced', positions: positions.slice(i, i + 500) });
    }
  }
}
