import { randomBytes } from 'node:crypto';
import { groupConvId, ParleyError, type GroupInfo, type GroupMember, type MemberRole, type NoticeContent } from '@parley/protocol';
import { LoadingCache } from '../cache/loading-cache.js';
import type { ControlPlane } from '../control/control-plane.js';
import type { SeqAllocator } from '../seq/seq-allocator.js';
import { StoreError, type AddGroupMembersResult, type GroupRow, type MemberRow, type Store } from '../store/store.js';
import type { AppService } from './app-service.js';
import type { Clock } from './clock.js';
import { newMemberRow, type Membership } from './membership.js';
import type { NoticeWriter, Route } from './notice-writer.js';

/** Who performs a group change: a user (permissions checked) or the app's backend (API key, all permissions). */
export type Actor = { user: string } | { system: true };
const SYSTEM = 'system';
const actorId = (a: Actor) => ('user' in a ? a.user : SYSTEM);

/**
 * Group chat: groups, their members and roles, mutes, notice; every change is
 * also a system notice in the group's timeline, written through the same
 * path as messages so it has a seq and reaches every member.
 *
 * Group rows are cached (bounded); a change to one (name, owner, mute-all,
 * dismissed) drops it in every process (`group.changed` on the control
 * plane), and member lists go through `Membership`, which does the same.
 */
export class GroupChatService {
  private readonly groups: LoadingCache<string, GroupRow>;

  constructor(
    private readonly store: Store,
    private readonly apps: AppService,
    private readonly membership: Membership,
    private readonly notices: NoticeWriter,
    private readonly clock: Clock,
    private readonly seq: SeqAllocator,
    private readonly control: ControlPlane,
    opts: { maxEntries?: number } = {},
  ) {
    this.groups = new LoadingCache(opts.maxEntries ?? 20000);
    control.on('group.changed', (m) => this.groups.invalidate(this.key(m.app_id, m.group_id)));
    control.onReset(() => this.groups.clear());
  }

  async create(appId: string, actor: Actor, input: { group_id?: string; name: string; avatar?: string; notice?: string; owner?: string; members: string[] }): Promise<GroupInfo> {
    const owner = 'user' in actor ? actor.user : input.owner;
    if (!owner) throw new ParleyError('invalid_field', 'owner is required when a group is created with the API key');
    const app = await this.apps.get(appId);
    const members = [...new Set([owner, ...input.members])];
    if (members.length > app.settings.max_group_members) throw new ParleyError('group_full', `a group holds at most ${app.settings.max_group_members} members`);
    await this.requireUsers(appId, members);
    const now = this.clock();
    const group: GroupRow = {
      app_id: appId, group_id: input.group_id ?? `grp_${randomBytes(8).toString('hex')}`, name: input.name, avatar: input.avatar,
      notice: input.notice ?? '', owner, muted_all: false, dismissed: false, max_members: app.settings.max_group_members, created_at: now,
    };
    const convId = groupConvId(group.group_id);
    // The group, its conversation and its members in one transaction: a taken id writes nothing.
    await this.store.createGroup(group, convId, members.map((u) => newMemberRow(appId, convId, u, now, u === owner ? 'owner' : 'member'))).catch((err: unknown) => {
      throw err instanceof StoreError && err.kind === 'duplicate' ? new ParleyError('already_exists', `group ${group.group_id} already exists`) : err;
    });
    this.groups.set(this.key(appId, group.group_id), group);
    this.membership.invalidate(appId, convId);
    await this.notice(appId, group, actorId(actor), { kind: 'group_created', by: owner, name: group.name });
    return this.info(appId, group.group_id);
  }

  async info(appId: string, groupId: string): Promise<GroupInfo> {
    const g = await this.group(appId, groupId);
    const convId = groupConvId(groupId);
    return {
      group_id: g.group_id, conv_id: convId, name: g.name, avatar: g.avatar, notice: g.notice, owner: g.owner,
      muted_all: g.muted_all, dismissed: g.dismissed, member_count: (await this.membership.members(appId, convId)).size,
      max_members: g.max_members, created_at: g.created_at,
    };
  }

  async members(appId: string, groupId: string, viewer?: string): Promise<GroupMember[]> {
    await this.group(appId, groupId);
    const rows = await this.membership.members(appId, groupConvId(groupId));
    if (viewer !== undefined && !rows.has(viewer)) throw new ParleyError('not_member');
    return [...rows.values()].map((m) => ({ user_id: m.user_id, role: m.role, joined_seq: m.join_seq, muted_until: m.muted_until, read_seq: m.read_seq }));
  }

  async addMembers(appId: string, actor: Actor, groupId: string, users: string[]): Promise<GroupInfo> {
    const g = await this.live(appId, groupId);
    const convId = groupConvId(groupId);
    const current = await this.membership.members(appId, convId);
    if ('user' in actor && !current.has(actor.user)) throw new ParleyError('not_member');
    const candidates = [...new Set(users)].filter((u) => !current.has(u));
    if (candidates.length === 0) return this.info(appId, groupId);
    await this.requireUsers(appId, candidates);
    // New members see the group from the next message on (above every seq already handed out), not its
    // earlier history; the store checks the member limit and writes the rows in one transaction.
    const minJoinSeq = (await this.seq.current(appId, convId)) + 1;
    const r = await this.store.addGroupMembers(appId, groupId, convId, candidates, { at: this.clock(), minJoinSeq });
    this.membership.invalidate(appId, convId);
    if (!r.ok) throw addRefusal(r, g);
    if (r.added.length) await this.notice(appId, g, actorId(actor), { kind: 'members_added', by: actorId(actor), users: r.added });
    return this.info(appId, groupId);
  }

  async removeMember(appId: string, actor: Actor, groupId: string, user: string): Promise<void> {
    const g = await this.live(appId, groupId);
    const target = await this.requireMember(appId, groupId, user);
    if (target.role === 'owner') throw new ParleyError('forbidden', 'the owner cannot be removed; transfer ownership first');
    if ('user' in actor) {
      const me = await this.requireMember(appId, groupId, actor.user);
      if (me.role === 'member' || (me.role === 'admin' && target.role !== 'member')) throw new ParleyError('forbidden', 'only the owner or an admin can remove members');
    }
    // The notice goes out first so the removed member's devices see why they left.
    await this.notice(appId, g, actorId(actor), { kind: 'member_removed', by: actorId(actor), user });
    await this.store.removeMember(appId, groupConvId(groupId), user);
    this.membership.invalidate(appId, groupConvId(groupId));
  }

  async leave(appId: string, groupId: string, user: string): Promise<void> {
    const g = await this.live(appId, groupId);
    const me = await this.requireMember(appId, groupId, user);
    if (me.role === 'owner') throw new ParleyError('forbidden', 'the owner cannot leave; transfer ownership or dismiss the group');
    await this.notice(appId, g, user, { kind: 'member_left', user });
    await this.store.removeMember(appId, groupConvId(groupId), user);
    this.membership.invalidate(appId, groupConvId(groupId));
  }

  async dismiss(appId: string, actor: Actor, groupId: string): Promise<void> {
    const g = await this.live(appId, groupId);
    if ('user' in actor && actor.user !== g.owner) throw new ParleyError('forbidden', 'only the owner can dismiss the group');
    await this.notice(appId, g, actorId(actor), { kind: 'group_dismissed', by: actorId(actor) });
    await this.patch(appId, g, { dismissed: true });
  }

  async update(appId: string, actor: Actor, groupId: string, patch: { name?: string; notice?: string; avatar?: string }): Promise<GroupInfo> {
    const g = await this.live(appId, groupId);
    await this.requireAdmin(appId, groupId, actor);
    await this.patch(appId, g, patch);
    const by = actorId(actor);
    if (patch.name !== undefined && patch.name !== g.name) await this.notice(appId, g, by, { kind: 'group_renamed', by, name: patch.name });
    if (patch.notice !== undefined && patch.notice !== g.notice) await this.notice(appId, g, by, { kind: 'group_notice', by, notice: patch.notice });
    return this.info(appId, groupId);
  }

  async setRole(appId: string, actor: Actor, groupId: string, user: string, role: MemberRole): Promise<void> {
    const g = await this.live(appId, groupId);
    if ('user' in actor && actor.user !== g.owner) throw new ParleyError('forbidden', 'only the owner can change roles');
    const target = await this.requireMember(appId, groupId, user);
    if (target.role === 'owner') throw new ParleyError('forbidden', 'give ownership to another member instead');
    const convId = groupConvId(groupId);
    if (role === 'owner') {
      // Ownership transfer, one transaction: the old owner stays on as an admin.
      const r = await this.store.transferOwnership(appId, groupId, convId, g.owner, user);
      this.membership.invalidate(appId, convId);
      // Refused or not, the cached row may be stale (what refused it may be a change this cache has not seen).
      this.control.publish({ type: 'group.changed', app_id: appId, group_id: groupId });
      if (!r.ok) {
        if (r.reason === 'not_member') throw new ParleyError('not_member', `${user} is not a member of group ${groupId}`);
        if (r.reason === 'dismissed') throw new ParleyError('group_dismissed');
        if (r.reason === 'not_found') throw new ParleyError('not_found', `group ${groupId} not found`);
        throw new ParleyError('conflict', 'the group changed owner meanwhile; reload it and retry');
      }
    } else {
      await this.store.updateMember(appId, convId, user, { role });
      this.membership.invalidate(appId, convId);
    }
    await this.notice(appId, g, actorId(actor), { kind: 'role_changed', by: actorId(actor), user, role });
  }

  /** Mute a member until `until` (ms epoch; 0 lifts the mute). */
  async muteMember(appId: string, actor: Actor, groupId: string, user: string, until: number): Promise<void> {
    const g = await this.live(appId, groupId);
    await this.requireAdmin(appId, groupId, actor);
    const target = await this.requireMember(appId, groupId, user);
    if (target.role === 'owner') throw new ParleyError('forbidden', 'the owner cannot be muted');
    await this.store.updateMember(appId, groupConvId(groupId), user, { muted_until: until });
    this.membership.invalidate(appId, groupConvId(groupId));
    await this.notice(appId, g, actorId(actor), { kind: 'member_muted', by: actorId(actor), user, until });
  }

  async muteAll(appId: string, actor: Actor, groupId: string, muted: boolean): Promise<void> {
    const g = await this.live(appId, groupId);
    await this.requireAdmin(appId, groupId, actor);
    await this.patch(appId, g, { muted_all: muted });
    await this.notice(appId, g, actorId(actor), { kind: 'group_muted', by: actorId(actor), muted });
  }

  /** Access check for a send to the group, and the push recipients. */
  async route(appId: string, sender: string, groupId: string): Promise<Route> {
    const g = await this.group(appId, groupId);
    if (g.dismissed) throw new ParleyError('group_dismissed');
    const convId = groupConvId(groupId);
    const members = await this.membership.members(appId, convId);
    const me = members.get(sender);
    if (!me) throw new ParleyError('not_member');
    if (me.muted_until > this.clock()) throw new ParleyError('muted');
    if (g.muted_all && me.role === 'member') throw new ParleyError('group_muted');
    return { convId, convType: 'group', recipients: [...members.keys()] };
  }

  /* ---- helpers ---- */

  private key(appId: string, groupId: string): string {
    return `${appId}\u0000${groupId}`;
  }

  private async group(appId: string, groupId: string): Promise<GroupRow> {
    const g = await this.groups.get(this.key(appId, groupId), async () => (await this.store.getGroup(appId, groupId)) ?? undefined);
    if (!g) throw new ParleyError('not_found', `group ${groupId} not found`);
    return g;
  }

  private async live(appId: string, groupId: string): Promise<GroupRow> {
    const g = await this.group(appId, groupId);
    if (g.dismissed) throw new ParleyError('group_dismissed');
    return g;
  }

  private async patch(appId: string, g: GroupRow, patch: Partial<Pick<GroupRow, 'name' | 'avatar' | 'notice' | 'owner' | 'muted_all' | 'dismissed'>>): Promise<void> {
    await this.store.updateGroup(appId, g.group_id, patch);
    // Dropped, not merged: `g` may be older than a change another process made meanwhile.
    this.control.publish({ type: 'group.changed', app_id: appId, group_id: g.group_id });
  }

  private async requireMember(appId: string, groupId: string, user: string): Promise<MemberRow> {
    const m = await this.membership.member(appId, groupConvId(groupId), user);
    if (!m) throw new ParleyError('not_member', `${user} is not a member of group ${groupId}`);
    return m;
  }

  private async requireAdmin(appId: string, groupId: string, actor: Actor): Promise<void> {
    if (!('user' in actor)) return;
    const me = await this.requireMember(appId, groupId, actor.user);
    if (me.role === 'member') throw new ParleyError('forbidden', 'only the owner or an admin can do this');
  }

  private async requireUsers(appId: string, users: string[]): Promise<void> {
    const found = new Set((await this.store.getUsers(appId, users)).map((u) => u.user_id));
    const missing = users.filter((u) => !found.has(u));
    if (missing.length) throw new ParleyError('not_found', `unknown users: ${missing.slice(0, 10).join(', ')}`);
  }



  private async notice(appId: string, g: GroupRow, sender: string, content: NoticeContent): Promise<void> {
    await this.notices.postNotice(appId, groupConvId(g.group_id), 'group', sender, content);
  }
}

/** The protocol error for an add the store refused. */
function addRefusal(r: Extract<AddGroupMembersResult, { ok: false }>, g: GroupRow): ParleyError {
  switch (r.reason) {
    case 'full':
      return new ParleyError('group_full', `a group holds at most ${g.max_members} members`);
    case 'dismissed':
      return new ParleyError('group_dismissed');
    case 'not_found':
      return new ParleyError('not_found', `group ${g.group_id} not found`);
  }
}
