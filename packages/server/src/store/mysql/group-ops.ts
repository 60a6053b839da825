import type {
  AddGroupMembersResult, ConversationWithMembers, GroupRow, MemberRow, TransferOwnershipResult,
} from '../store.js';
import { bool } from '../sqlite/rows.js';
import { SQL } from './domain-sql.js';
import type { Param, SqlPool, Tx } from './sql-pool.js';
import { cutPadded, placeholders, shapeCache } from './statement-shapes.js';

/**
 * The writes that are a whole domain effect on groups and conversations,
 * each one READ COMMITTED transaction on the primary. A conditional one locks
 * the group row first (SELECT … FOR UPDATE), so two handles or processes
 * deciding on the same group run one after the other and the second sees
 * what the first committed (no read-check-write race).
 */

const insertConversationsSql = shapeCache((n) => `INSERT INTO conversations (app_id, conv_id, type, last_seq, updated_at, created_at)
  VALUES ${placeholders(n, 6)} ON DUPLICATE KEY UPDATE app_id = app_id`);

const GROUP_FOR_UPDATE = 'SELECT owner, dismissed, max_members FROM chat_groups WHERE app_id = ? AND group_id = ? FOR UPDATE';
const MEMBER_IDS = 'SELECT user_id FROM conversation_members WHERE app_id = ? AND conv_id = ?';
const LAST_SEQ = 'SELECT COALESCE(MAX(seq), 0) AS n FROM messages WHERE app_id = ? AND conv_id = ?';
const SET_ROLE = 'UPDATE conversation_members SET role = ? WHERE app_id = ? AND conv_id = ? AND user_id = ?';
const SET_OWNER = 'UPDATE chat_groups SET owner = ? WHERE app_id = ? AND group_id = ?';

const memberParams = (m: MemberRow): Param[] => [m.app_id, m.conv_id, m.user_id, m.role, m.join_seq, m.read_seq, m.muted_until,
  bool(m.muted), bool(m.pinned), bool(m.hidden), m.joined_at];

/** Insert member rows that do not exist yet (existing rows unchanged); padding repeats a row, which the no-op upsert skips. */
export async function insertMembers(tx: Tx, rows: readonly MemberRow[]): Promise<void> {
  for (const piece of cutPadded(rows.map(memberParams))) await tx.run(SQL.insertMembers(piece.length), piece.flat());
}

export class GroupOps {
  constructor(private readonly pool: SqlPool) {}

  async createGroup(g: GroupRow, convId: string, members: MemberRow[]): Promise<string | undefined> {
    const { gtid } = await this.pool.tx('create group', async (tx) => {
      // A taken group id fails here (duplicate), before anything else is written.
      await tx.run(SQL.insertGroup, [g.app_id, g.group_id, g.name, g.avatar ?? null, g.notice, g.owner,
        bool(g.muted_all), bool(g.dismissed), g.max_members, g.created_at]);
      await tx.run(SQL.insertConversation, [g.app_id, convId, 'group', g.created_at, g.created_at]);
      await insertMembers(tx, members);
    }, { readCommitted: true });
    return gtid;
  }

  async addGroupMembers(appId: string, groupId: string, convId: string, users: string[], at: number, minJoinSeq: number)
    : Promise<{ result: AddGroupMembersResult; gtid?: string }> {
    const { value, gtid } = await this.pool.tx('add group members', async (tx): Promise<AddGroupMembersResult> => {
      const { rows: [g] } = await tx.run<{ dismissed: number; max_members: number }>(GROUP_FOR_UPDATE, [appId, groupId]);
      const current = new Set((await tx.run<{ user_id: string }>(MEMBER_IDS, [appId, convId])).rows.map((r) => r.user_id));
      if (!g) return { ok: false, reason: 'not_found', members: current.size };
      if (g.dismissed) return { ok: false, reason: 'dismissed', members: current.size };
      const added = [...new Set(users)].filter((u) => !current.has(u));
      if (current.size + added.length > g.max_members) return { ok: false, reason: 'full', members: current.size };
      const last = Number((await tx.run<{ n: number }>(LAST_SEQ, [appId, convId])).rows[0]?.n ?? 0);
      const joinSeq = Math.max(minJoinSeq, last + 1);
      await insertMembers(tx, added.map((user_id) => ({
        app_id: appId, conv_id: convId, user_id, role: 'member' as const, join_seq: joinSeq, read_seq: joinSeq - 1,
        muted_until: 0, muted: false, pinned: false, hidden: false, joined_at: at,
      })));
      return { ok: true, added, join_seq: joinSeq };
    }, { readCommitted: true });
    return { result: value, gtid };
  }

  async transferOwnership(appId: string, groupId: string, convId: string, from: string, to: string)
    : Promise<{ result: TransferOwnershipResult; gtid?: string }> {
    const { value, gtid } = await this.pool.tx('transfer ownership', async (tx): Promise<TransferOwnershipResult> => {
      const { rows: [g] } = await tx.run<{ owner: string; dismissed: number }>(GROUP_FOR_UPDATE, [appId, groupId]);
      if (!g) return { ok: false, reason: 'not_found' };
      if (g.dismissed) return { ok: false, reason: 'dismissed' };
      if (g.owner !== from) return { ok: false, reason: 'not_owner' };
      // The primary pool counts matched rows: 0 means `to` has no member row.
      if ((await tx.run(SET_ROLE, ['owner', appId, convId, to])).affected === 0) return { ok: false, reason: 'not_member' };
      if (from !== to) await tx.run(SET_ROLE, ['admin', appId, convId, from]);
      await tx.run(SET_OWNER, [to, appId, groupId]);
      return { ok: true };
    }, { readCommitted: true });
    return { result: value, gtid };
  }

  async ensureConversations(appId: string, convs: ConversationWithMembers[], at: number): Promise<string | undefined> {
    if (convs.length === 0) return undefined;
    const sorted = [...convs].sort((a, b) => (a.conv_id < b.conv_id ? -1 : a.conv_id > b.conv_id ? 1 : 0));
    const { gtid } = await this.pool.tx('ensure conversations', async (tx) => {
      for (const piece of cutPadded(sorted.map((c) => [appId, c.conv_id, c.type, 0, at, at] as Param[]))) {
        await tx.run(insertConversationsSql(piece.length), piece.flat());
      }
      await insertMembers(tx, sorted.flatMap((c) => c.members));
    }, { readCommitted: true });
    return gtid;
  }
}
