import { ParleyError, parseConvId, peerOf, type ClientFrame, type ReadPush, type TypingPush, type ConvPush, type KickedPush } from '@parley/protocol';
import type { AppService } from '../services/app-service.js';
import type { Membership } from '../services/membership.js';
import type { MessageBox } from '../services/message-box.js';
import type { UserService } from '../services/user-service.js';
import type { SessionInfo } from '../transport/transport.js';
import type { Location } from '../location/location.js';
import type { PresenceHub } from './presence-hub.js';
import type { Pusher } from './pusher.js';
import type { EventPublisher } from './event-publisher.js';
import type { Clock } from '../services/clock.js';

/** Groups up to this size get live read-position pushes; larger ones query receipts on demand. */
const GROUP_READ_PUSH_LIMIT = 200;

export interface ClientOpsDeps {
  apps: AppService;
  users: UserService;
  box: MessageBox;
  membership: Membership;
  presence: PresenceHub;
  pusher: Pusher;
  location: Location;
  /** `conversation.read` events for business lines (after the store took the read position) */
  publisher?: Pick<EventPublisher, 'publish'>;
  clock?: Clock;
}

/**
 * Every client op except `send` (the message pipeline's) and `auth`/`ping`
 * (the link's): maps a validated frame to the domain services and returns the
 * `data` of its `ok` answer. Side-effect pushes (read positions, typing,
 * settings sync to the user's other devices) are sent from here.
 */
export class ClientOps {
  constructor(private readonly d: ClientOpsDeps) {}

  async handle(s: SessionInfo, f: Exclude<ClientFrame, { op: 'send' | 'auth' | 'ping' }>): Promise<unknown> {
    const { d } = this;
    const app = s.app_id;
    const me = s.user_id;
    switch (f.op) {
      case 'history':
        return d.box.history(app, me, f.conv_id, f);
      case 'convs':
        return d.box.conversations(app, me);
      case 'read': {
        const r = await d.box.markRead(app, me, f.conv_id, f.seq);
        await this.pushRead(s, f.conv_id, r.read_seq);
        // The id names the position, so a repeat (a re-sent request, two devices) is one event on a de-duplicating bus.
        void d.publisher?.publish({
          id: `read-${f.conv_id}-${me}-${r.read_seq}`, type: 'conversation.read', app_id: app, at: (d.clock ?? Date.now)(),
          data: { conv_id: f.conv_id, user_id: me, read_seq: r.read_seq },
        }, `${app}\u0000${f.conv_id}`);
        return r;
      }
      case 'recall': {
        const notice = await d.box.recall(app, me, f.conv_id, f.seq);
        return { cmid: notice.cmid, msg_id: notice.msg_id, conv_id: notice.conv_id, seq: notice.seq, created_at: notice.created_at };
      }
      case 'delete':
        return d.box.deleteForMe(app, me, f.conv_id, f.seq);
      case 'conv_set': {
        const r = await d.box.setConversation(app, me, f.conv_id, { pinned: f.pinned, muted: f.muted, hidden: f.hidden });
        const push: ConvPush = { op: 'conv', ...r };
        await d.pusher.toUsers(app, [me], JSON.stringify(push), s.conn_id);
        return r;
      }
      case 'receipts':
        return d.box.receipts(app, me, f.conv_id, f.seq);
      case 'typing':
        await this.typing(s, f.conv_id);
        return undefined;
      case 'presence': {
        const users = await d.presence.query(app, f.user_ids);
        d.presence.watch({ app_id: app, user_id: me, conn_id: s.conn_id, link_id: s.link_id, ...(s.boot_id ? { boot_id: s.boot_id } : {}), platform: s.platform, connected_at: s.connected_at }, f.user_ids);
        return { users };
      }
      case 'search':
        return d.box.search(app, me, f);
      case 'logout': {
        await d.users.revokeTokens(app, me);
        await this.kickUser(app, me, 'logout', s.conn_id);
        return { revoked: true };
      }
      default: {
        const never: never = f;
        throw new ParleyError('unknown_op', `unknown op ${(never as { op: string }).op}`);
      }
    }
  }

  /** Kick every connection of a user (logout, revocation, admin action), optionally sparing one. */
  async kickUser(appId: string, userId: string, reason: KickedPush['reason'], except?: string): Promise<number> {
    const conns = await this.d.location.lookup(appId, [userId]);
    const payload = JSON.stringify({ op: 'kicked', reason } satisfies KickedPush);
    let n = 0;
    for (const c of conns) {
      if (c.conn_id === except) continue;
      this.d.pusher.kick(c, payload);
      n++;
    }
    return n;
  }

  /** A read position moved: the user's other devices always hear of it; the peer (single) or small groups too, when receipts are on. */
  async pushRead(s: SessionInfo, convId: string, seq: number): Promise<void> {
    const { d } = this;
    const push: ReadPush = { op: 'read', conv_id: convId, user_id: s.user_id, seq };
    const payload = JSON.stringify(push);
    const app = await d.apps.get(s.app_id);
    const targets = [s.user_id];
    if (app.settings.read_receipts) {
      const type = parseConvId(convId)?.type;
      if (type === 'single') targets.push(peerOf(convId, s.user_id)!);
      if (type === 'group') {
        const members = await d.membership.members(s.app_id, convId);
        if (members.size <= GROUP_READ_PUSH_LIMIT) targets.push(...[...members.keys()].filter((u) => u !== s.user_id));
      }
    }
    await d.pusher.toUsers(s.app_id, targets, payload, s.conn_id);
  }

  /** Typing is ephemeral: pushed to the other members' devices, never stored. */
  private async typing(s: SessionInfo, convId: string): Promise<void> {
    const members = await this.d.membership.members(s.app_id, convId);
    if (!members.has(s.user_id)) throw new ParleyError('not_member');
    if (members.size > GROUP_READ_PUSH_LIMIT) return;
    const push: TypingPush = { op: 'typing', conv_id: convId, user_id: s.user_id };
    const others = [...members.keys()].filter((u) => u !== s.user_id);
    await this.d.pusher.toUsers(s.app_id, others, JSON.stringify(push));
  }
}
