import { ParleyError, singleConvId } from '@parley/protocol';
import { LruSet } from '../cache/lru-cache.js';
import type { ControlPlane } from '../control/control-plane.js';
import type { Store } from '../store/store.js';
import type { AppService } from './app-service.js';
import type { Clock } from './clock.js';
import { newMemberRow, type Membership } from './membership.js';
import type { Route } from './notice-writer.js';
import type { RelationService } from './relation-service.js';

/**
 * Single chat: a conversation between two users of one app, created on the
 * first message. Checks the block list and, when the app requires it,
 * friendship.
 */
export class SingleChatService {
  /**
   * Conversations whose rows are known to exist, so the hot path skips the
   * writes (bounded). Per process on purpose: the rows are never removed, so
   * an entry cannot go stale and another process simply learns it on its
   * own first send (the writes are idempotent). Dropped on a control reset.
   */
  private readonly ensured: LruSet<string>;

  constructor(
    private readonly store: Store,
    private readonly apps: AppService,
    private readonly relations: RelationService,
    private readonly membership: Membership,
    private readonly clock: Clock,
    control: ControlPlane,
    opts: { maxEntries?: number } = {},
  ) {
    this.ensured = new LruSet(opts.maxEntries ?? 100_000);
    control.onReset(() => this.ensured.clear());
  }

  async route(appId: string, sender: string, to: string): Promise<Route> {
    if (to === sender) throw new ParleyError('invalid_field', 'cannot send a single-chat message to yourself');
    const convId = singleConvId(sender, to);
    const key = `${appId}\u0000${convId}`;
    if (!this.ensured.has(key)) {
      const peer = await this.store.getUser(appId, to);
      if (!peer) throw new ParleyError('not_found', `user ${to} not found`);
    }
    if (await this.relations.isBlocked(appId, to, sender)) throw new ParleyError('blocked');
    const app = await this.apps.get(appId);
    if (app.settings.require_friendship && !(await this.relations.isFriend(appId, sender, to))) {
      throw new ParleyError('not_friend');
    }
    // The conversation is created only once the whole send is accepted (Route.open).
    const open = this.ensured.has(key) ? undefined : async () => {
      await this.ensure(appId, convId, sender, to);
      this.ensured.add(key);
    };
    return { convId, convType: 'single', recipients: [sender, to], open };
  }

  private async ensure(appId: string, convId: string, a: string, b: string): Promise<void> {
    const now = this.clock();
    // The conversation and both member rows in one transaction.
    await this.store.ensureConversations(appId, [{
      conv_id: convId, type: 'single', members: [newMemberRow(appId, convId, a, now), newMemberRow(appId, convId, b, now)],
    }], now);
    // A history or typing request before the first message may have cached "no members".
    this.membership.invalidate(appId, convId);
  }
}
