import type Database from 'better-sqlite3';
import type {
  AddGroupMembersResult, ConversationWithMembers, GroupRow, MemberRow, TransferOwnershipResult,
} from '../store.js';
import { bool } from './rows.js';

/**
 * The writes that are a whole domain effect on groups and conversations, each
 * one IMMEDIATE transaction: the write lock is taken before the first read,
 * so the checks and the writes see the same rows even with other handles or
 * processes on the file (no read-check-write race).
 */
export class GroupWriter {
  private readonly insertGroup: Database.Statement;
  private readonly groupState: Database.Statement;
  private readonly insertConversation: Database.Statement;
  private readonly insertMember: Database.Statement;
  private readonly memberIds: Database.Statement;
  private readonly lastSeq: Database.Statement;
  private readonly setRole: Database.Statement;
  private readonly setOwner: Database.Statement;
  private readonly createTx: Database.Transaction<(group: GroupRow, convId: string, members: MemberRow[]) => void>;
  private readonly addTx: Database.Transaction<(appId: string, groupId: string, convId: string, users: string[], at: number, minJoinSeq: number) => AddGroupMembersResult>;
  private readonly transferTx: Database.Transaction<(appId: string, groupId: string, convId: string, from: string, to: string) => TransferOwnershipResult>;
  private readonly ensureTx: Database.Transaction<(appId: string, convs: ConversationWithMembers[], at: number) => void>;

  constructor(db: Database.Database) {
    this.insertGroup = db.prepare(`INSERT INTO chat_groups (app_id, group_id, name, avatar, notice, owner, muted_all, dismissed, max_members, created_at)
      VALUES (@app_id, @group_id, @name, @avatar, @notice, @owner, @muted_all, @dismissed, @max_members, @created_at)`);
    this.groupState = db.prepare('SELECT owner, dismissed, max_members FROM chat_groups WHERE app_id = ? AND group_id = ?');
    this.insertConversation = db.prepare(`INSERT INTO conversations (app_id, conv_id, type, last_seq, updated_at, created_at)
      VALUES (?, ?, ?, 0, ?, ?) ON CONFLICT DO NOTHING`);
    this.insertMember = db.prepare(`INSERT INTO conversation_members
        (app_id, conv_id, user_id, role, join_seq, read_seq, muted_until, muted, pinned, hidden, joined_at)
      VALUES (@app_id, @conv_id, @user_id, @role, @join_seq, @read_seq, @muted_until, @muted, @pinned, @hidden, @joined_at)
      ON CONFLICT DO NOTHING`);
    this.memberIds = db.prepare('SELECT user_id FROM conversation_members WHERE app_id = ? AND conv_id = ?').pluck();
    this.lastSeq = db.prepare('SELECT coalesce(max(seq), 0) FROM messages WHERE app_id = ? AND conv_id = ?').pluck();
    this.setRole = db.prepare('UPDATE conversation_members SET role = ? WHERE app_id = ? AND conv_id = ? AND user_id = ?');
    this.setOwner = db.prepare('UPDATE chat_groups SET owner = ? WHERE app_id = ? AND group_id = ?');

    this.createTx = db.transaction((group: GroupRow, convId: string, members: MemberRow[]) => {
      // A taken group id fails here, before anything else is written (the transaction rolls back).
      this.insertGroup.run({ ...group, avatar: group.avatar ?? null, muted_all: bool(group.muted_all), dismissed: bool(group.dismissed) });
      this.insertConversation.run(group.app_id, convId, 'group', group.created_at, group.created_at);
      for (const m of members) this.member(m);
    });
    this.addTx = db.transaction((appId: string, groupId: string, convId: string, users: string[], at: number, minJoinSeq: number): AddGroupMembersResult => {
      const g = this.groupState.get(appId, groupId) as { dismissed: number; max_members: number } | undefined;
      const current = new Set(this.memberIds.all(appId, convId) as string[]);
      if (!g) return { ok: false, reason: 'not_found', members: current.size };
      if (g.dismissed) return { ok: false, reason: 'dismissed', members: current.size };
      const added = [...new Set(users)].filter((u) => !current.has(u));
      if (current.size + added.length > g.max_members) return { ok: false, reason: 'full', members: current.size };
      const joinSeq = Math.max(minJoinSeq, (this.lastSeq.get(appId, convId) as number) + 1);
      for (const user_id of added) {
        this.member({
          app_id: appId, conv_id: convId, user_id, role: 'member', join_seq: joinSeq, read_seq: joinSeq - 1,
          muted_until: 0, muted: false, pinned: false, hidden: false, joined_at: at,
        });
      }
      return { ok: true, added, join_seq: joinSeq };
    });
    this.transferTx = db.transaction((appId: string, groupId: string, convId: string, from: string, to: string): TransferOwnershipResult => {
      const g = this.groupState.get(appId, groupId) as { owner: string; dismissed: number } | undefined;
      if (!g) return { ok: false, reason: 'not_found' };
      if (g.dismissed) return { ok: false, reason: 'dismissed' };
      if (g.owner !== from) return { ok: false, reason: 'not_owner' };
      if (this.setRole.run('owner', appId, convId, to).changes === 0) return { ok: false, reason: 'not_member' };
      if (from !== to) this.setRole.run('admin', appId, convId, from);
      this.setOwner.run(to, appId, groupId);
      return { ok: true };
    });
    this.ensureTx = db.transaction((appId: string, convs: ConversationWithMembers[], at: number) => {
      for (const c of convs) {
        this.insertConversation.run(appId, c.conv_id, c.type, at, at);
        for (const m of c.members) this.member(m);
      }
    });
  }

  createGroup(group: GroupRow, convId: string, members: MemberRow[]): void {
    this.createTx.immediate(group, convId, members);
  }

  addGroupMembers(appId: string, groupId: string, convId: string, users: string[], at: number, minJoinSeq: number): AddGroupMembersResult {
    return this.addTx.immediate(appId, groupId, convId, users, at, minJoinSeq);
  }

  transferOwnership(appId: string, groupId: string, convId: string, from: string, to: string): TransferOwnershipResult {
    return this.transferTx.immediate(appId, groupId, convId, from, to);
  }

  ensureConversations(appId: string, convs: ConversationWithMembers[], at: number): void {
    if (convs.length === 0) return;
    this.ensureTx.immediate(appId, convs, at);
  }

  private member(m: MemberRow): void {
    this.insertMember.run({ ...m, muted: bool(m.muted), pinned: bool(m.pinned), hidden: bool(m.hidden) });
  }
}
