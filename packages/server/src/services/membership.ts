import type { MemberRole } from '@parley/protocol';
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
 * Member rows per conversation, cached: every send to a group needs the
 * member list (access check and push fan-out), and reading 2,000 rows per
 * message would dominate the send path. Membership changes call `invalidate`;
 * read positions and list settings, which change all the time, are patched
 * in place (`patch`) so reading a message never costs the next send a reload.
 * Limits: the cache is per process; with several dispatchers, group changes
 * must also be broadcast (distributed issue).
 */
export class Membership {
  private readonly loaded = new Map<string, Map<string, MemberRow>>();
  private readonly loading = new Map<string, Promise<Map<string, MemberRow>>>();
  private readonly maxEntries: number;

  constructor(private readonly store: Store, opts: { maxEntries?: number } = {}) {
    this.maxEntries = opts.maxEntries ?? 20000;
  }

  private key(appId: string, convId: string): string {
    return `${appId}\u0000${convId}`;
  }

  async members(appId: string, convId: string): Promise<Map<string, MemberRow>> {
    const k = this.key(appId, convId);
    const hit = this.loaded.get(k);
    if (hit) return hit;
    let p = this.loading.get(k);
    if (!p) {
      p = this.store.listMembers(appId, convId).then((rows) => new Map(rows.map((r) => [r.user_id, r])));
      this.loading.set(k, p);
      p.then(
        (m) => {
          // An invalidate during the load dropped this promise: do not cache what it read.
          if (this.loading.get(k) !== p) return;
          this.loading.delete(k);
          if (this.loaded.size >= this.maxEntries) this.loaded.delete(this.loaded.keys().next().value!);
          this.loaded.set(k, m);
        },
        () => this.loading.delete(k),
      );
    }
    return p;
  }

  async member(appId: string, convId: string, userId: string): Promise<MemberRow | undefined> {
    return (await this.members(appId, convId)).get(userId);
  }

  /** Apply a change already written to the store to the cached row, if cached. */
  patch(appId: string, convId: string, userId: string, patch: MemberPatch & { read_seq?: number }): void {
    const row = this.loaded.get(this.key(appId, convId))?.get(userId);
    if (!row) return;
    for (const [k, v] of Object.entries(patch) as Array<[keyof MemberRow, never]>) {
      if (v === undefined) continue; // an absent field of a partial update changes nothing
      if (k === 'read_seq' && (v as number) < row.read_seq) continue; // read_seq only moves forward
      row[k] = v;
    }
  }

  invalidate(appId: string, convId: string): void {
    const k = this.key(appId, convId);
    this.loaded.delete(k);
    this.loading.delete(k);
  }
}
