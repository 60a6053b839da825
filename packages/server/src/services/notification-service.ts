import { ParleyError } from '@parley/protocol';
import { LruSet } from '../cache/lru-cache.js';
import type { ControlPlane } from '../control/control-plane.js';
import type { Store } from '../store/store.js';
import type { Clock } from './clock.js';
import { newMemberRow, type Membership } from './membership.js';
import type { NoticeWriter } from './notice-writer.js';

/**
 * Notification push for business lines: a system notice into each user's own
 * notification conversation `n:<user>` (created on first use, the user its
 * only member), through the same path as every message — so it has a seq,
 * counts as unread, appears in the conversation list and reaches every device.
 */
export class NotificationService {
  /** notification conversations known to exist (bounded; per process, like single-chat.ts's) */
  private readonly ensured: LruSet<string>;

  constructor(
    private readonly store: Store,
    private readonly membership: Membership,
    private readonly notices: NoticeWriter,
    private readonly clock: Clock,
    control: ControlPlane,
    opts: { maxEntries?: number } = {},
  ) {
    this.ensured = new LruSet(opts.maxEntries ?? 100_000);
    control.onReset(() => this.ensured.clear());
  }

  async notify(appId: string, userIds: string[], text: string, data?: unknown): Promise<Array<{ user_id: string; conv_id: string; seq: number }>> {
    const users = [...new Set(userIds)];
    const found = new Set((await this.store.getUsers(appId, users)).map((u) => u.user_id));
    const missing = users.filter((u) => !found.has(u));
    if (missing.length) throw new ParleyError('not_found', `unknown users: ${missing.slice(0, 10).join(', ')}`);
    await this.ensure(appId, users);
    // Concurrently: the notices share group commits (one transaction per batch, not per user).
    return Promise.all(users.map(async (user) => {
      const convId = `n:${user}`;
      const m = await this.notices.postNotice(appId, convId, 'notification', 'system', { kind: 'system', text, ...(data !== undefined ? { data } : {}) });
      return { user_id: user, conv_id: convId, seq: m.seq };
    }));
  }

  /** Every missing notification conversation and member row of `users`, in one store write. */
  private async ensure(appId: string, users: string[]): Promise<void> {
    const missing = users.filter((u) => !this.ensured.has(`${appId}\u0000n:${u}`));
    if (missing.length === 0) return;
    const now = this.clock();
    await this.store.ensureConversations(appId, missing.map((u) => ({
      conv_id: `n:${u}`, type: 'notification' as const, members: [newMemberRow(appId, `n:${u}`, u, now)],
    })), now);
    for (const u of missing) {
      this.membership.invalidate(appId, `n:${u}`);
      this.ensured.add(`${appId}\u0000n:${u}`);
    }
  }
}
