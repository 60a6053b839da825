import type { Conversation, GroupInfo } from '@parley/protocol';
import { errorText } from '../api.js';
import { store, toast } from './app-state.js';
import type { ChatController } from './chat.js';
import { withEntry, withoutEntry } from './store.js';

/**
 * Groups as a member sees them: info and members (with roles and read
 * positions, which make "read by N"), and the changes a member may make.
 * Every change is also announced by a notice in the group's timeline, which
 * brings the info of every member's client up to date (see `changed`).
 */
export class GroupActions {
  private readonly loading = new Map<string, Promise<void>>();

  constructor(private readonly chat: ChatController) {}

  /** Fetch info and members; `fresh` waits out a load already running (it may predate a change) and loads again. */
  load(groupId: string, fresh = false): Promise<void> {
    const running = this.loading.get(groupId);
    if (running) return fresh ? running.then(() => this.load(groupId)) : running;
    const p = (async () => {
      try {
        const [info, { members }] = await Promise.all([this.chat.api.group(groupId), this.chat.api.members(groupId)]);
        store.set((s) => ({ groups: withEntry(s.groups, groupId, { info, members }) }));
        this.chat.directory.ensure(members.map((m) => m.user_id));
        this.chat.directory.watchPresence(members.map((m) => m.user_id));
        this.renameConv(info);
      } catch {
        // not a member any more (removed, left) or offline: the panel shows what it has
      } finally {
        this.loading.delete(groupId);
      }
    })();
    this.loading.set(groupId, p);
    return p;
  }

  /** A notice said the group changed: reload it if this client shows it. */
  changed(groupId: string, content: unknown): void {
    const kind = (content as { kind?: string }).kind;
    const c = content as { user?: string };
    // No longer a member: forget the group rather than ask the server (which would refuse).
    if (((kind === 'member_removed' || kind === 'member_left') && c.user === this.chat.me) || kind === 'group_dismissed') {
      store.set((s) => ({ groups: withoutEntry(s.groups, groupId) }));
      return;
    }
    if (store.get().groups[groupId] || store.get().active === `g:${groupId}`) void this.load(groupId, true);
  }

  memberRead(groupId: string, userId: string, seq: number): void {
    const g = store.get().groups[groupId];
    if (!g) return;
    const members = g.members.map((m) => (m.user_id === userId && m.read_seq < seq ? { ...m, read_seq: seq } : m));
    store.set((s) => ({ groups: withEntry(s.groups, groupId, { ...g, members }) }));
  }

  async create(name: string, members: string[], notice?: string): Promise<string | undefined> {
    try {
      const info = await this.chat.api.createGroup(name, members, notice);
      const conv: Conversation = {
        conv_id: info.conv_id, conv_type: 'group', peer: info.group_id, name: info.name, last_seq: 0, read_seq: 0, unread: 0,
        pinned: false, muted: false, hidden: false, updated_at: info.created_at,
      };
      if (!this.chat.conv(info.conv_id)) store.set((s) => ({ convs: withEntry(s.convs, info.conv_id, conv) }));
      void this.chat.refreshConversations().catch(() => undefined);
      return info.conv_id;
    } catch (err) {
      toast(`Could not create the group: ${errorText(err)}`, 'error');
      return undefined;
    }
  }

  addMembers(groupId: string, userIds: string[]): Promise<boolean> {
    return this.act(groupId, () => this.chat.api.addMembers(groupId, userIds));
  }

  removeMember(groupId: string, userId: string): Promise<boolean> {
    return this.act(groupId, () => this.chat.api.removeMember(groupId, userId));
  }

  update(groupId: string, patch: { name?: string; notice?: string }): Promise<boolean> {
    return this.act(groupId, () => this.chat.api.updateGroup(groupId, patch));
  }

  muteMember(groupId: string, userId: string, minutes: number): Promise<boolean> {
    const until = minutes > 0 ? Date.now() + minutes * 60_000 : 0;
    return this.act(groupId, () => this.chat.api.mute(groupId, { user_id: userId, until }));
  }

  muteAll(groupId: string, all: boolean): Promise<boolean> {
    return this.act(groupId, () => this.chat.api.mute(groupId, { all }));
  }

  async leave(groupId: string): Promise<boolean> {
    try {
      await this.chat.api.leave(groupId);
      const convId = `g:${groupId}`;
      store.set((s) => ({
        groups: withoutEntry(s.groups, groupId), convs: withoutEntry(s.convs, convId),
        active: s.active === convId ? null : s.active, dialog: null,
      }));
      toast('You left the group');
      return true;
    } catch (err) {
      toast(errorText(err), 'error');
      return false;
    }
  }

  /** Success needs no toast: the change's notice appears in the timeline, and the panel updates. */
  private async act(groupId: string, f: () => Promise<GroupInfo>): Promise<boolean> {
    try {
      const info = await f();
      this.renameConv(info);
      await this.load(groupId, true);
      return true;
    } catch (err) {
      toast(errorText(err), 'error');
      return false;
    }
  }

  private renameConv(info: GroupInfo): void {
    const g = store.get().groups[info.group_id];
    if (g) store.set((s) => ({ groups: withEntry(s.groups, info.group_id, { ...g, info }) }));
    this.chat.updateConv(info.conv_id, (c) => (c.name === info.name ? c : { ...c, name: info.name }));
  }
}
