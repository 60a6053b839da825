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
    const out = [];
    for (const user of users) {
      const convId = `n:${user}`;
      await this.ensure(appId, convId, user);
      const m = await this.notices.postNotice(appId, convId, 'notification', 'system', { kind: 'system', text, ...(data !== undefined ? { data } : {}) });
      out.push({ user_id: user, conv_id: convId, seq: m.seq });
    }
    return out;
  }

  private async ensure(appId: string, convId: string, user: string): Promise<void> {
    const key = `${appId}\u0000${convId}`;
    if (this.ensured.has(key)) return;
    const now = this.clock();
    await this.store.ensureConversation(appId, convId, 'notification', now);
    await this.store.addMembers([newMemberRow(appId, convId, user, now)]);
    this.membership.invalidate(appId, convId);
    this.ensured.add(key);
  }
}
