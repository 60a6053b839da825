import { placeholders, shapeCache } from './statement-shapes.js';

/**
 * SQL of the domain tables (apps, users, relations, groups, conversations,
 * members). Every statement has one fixed shape: patch updates use
 * `IF(set_flag, value, column)` instead of SQL built per call, and id lists
 * are cut and padded to a few sizes (statement-shapes.ts), so the per-connection prepared-statement cache
 * stays small and hits. Existing rows are skipped with a no-op
 * ON DUPLICATE KEY UPDATE, not INSERT IGNORE, which would also hide bad values.
 */

export const MEMBER_COLS = 'app_id, conv_id, user_id, role, join_seq, read_seq, muted_until, muted, pinned, hidden, joined_at';

export const SQL = {
  insertApp: 'INSERT INTO apps (app_id, name, api_key_hash, webhook_secret, settings, created_at) VALUES (?, ?, ?, ?, ?, ?)',
  getApp: 'SELECT * FROM apps WHERE app_id = ?',
  getAppByKeyHash: 'SELECT * FROM apps WHERE api_key_hash = ?',
  listApps: 'SELECT * FROM apps ORDER BY created_at, app_id',
  updateAppSettings: 'UPDATE apps SET settings = ? WHERE app_id = ?',

  insertUser: `INSERT INTO users (app_id, user_id, name, avatar, meta, password_hash, tokens_valid_after, created_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  getUser: 'SELECT * FROM users WHERE app_id = ? AND user_id = ?',
  getUsers: shapeCache((n) => `SELECT * FROM users WHERE app_id = ? AND user_id IN (${Array.from({ length: n }, () => '?').join(', ')}) ORDER BY user_id`),
  updateUser: `UPDATE users SET
      name = IF(?, ?, name), avatar = IF(?, ?, avatar), meta = IF(?, ?, meta),
      password_hash = IF(?, ?, password_hash), tokens_valid_after = IF(?, ?, tokens_valid_after)
    WHERE app_id = ? AND user_id = ?`,
  // Case-insensitive on a case-sensitive column: compare under a _ci collation. Exact id, then prefixes, then substrings.
  searchUsers: `SELECT * FROM users
    WHERE app_id = ? AND (user_id COLLATE utf8mb4_unicode_ci LIKE ? OR name COLLATE utf8mb4_unicode_ci LIKE ?)
    ORDER BY CASE WHEN user_id COLLATE utf8mb4_unicode_ci = ? THEN 0
                  WHEN user_id COLLATE utf8mb4_unicode_ci LIKE ? OR name COLLATE utf8mb4_unicode_ci LIKE ? THEN 1 ELSE 2 END, user_id
    LIMIT ?`,

  insertFriend: `INSERT INTO friends (app_id, user_id, friend_id, created_at) VALUES (?, ?, ?, ?), (?, ?, ?, ?)
    ON DUPLICATE KEY UPDATE app_id = app_id`,
  deleteFriend: 'DELETE FROM friends WHERE app_id = ? AND ((user_id = ? AND friend_id = ?) OR (user_id = ? AND friend_id = ?))',
  listFriends: 'SELECT friend_id FROM friends WHERE app_id = ? AND user_id = ? ORDER BY friend_id',
  isFriend: 'SELECT 1 AS x FROM friends WHERE app_id = ? AND user_id = ? AND friend_id = ?',
  insertBlock: 'INSERT INTO blocks (app_id, blocker, blocked, created_at) VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE app_id = app_id',
  deleteBlock: 'DELETE FROM blocks WHERE app_id = ? AND blocker = ? AND blocked = ?',
  listBlocked: 'SELECT blocked FROM blocks WHERE app_id = ? AND blocker = ? ORDER BY blocked',
  isBlocked: 'SELECT 1 AS x FROM blocks WHERE app_id = ? AND blocker = ? AND blocked = ?',

  insertGroup: `INSERT INTO chat_groups (app_id, group_id, name, avatar, notice, owner, muted_all, dismissed, max_members, created_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  getGroup: 'SELECT * FROM chat_groups WHERE app_id = ? AND group_id = ?',
  getGroups: shapeCache((n) => `SELECT * FROM chat_groups WHERE app_id = ? AND group_id IN (${Array.from({ length: n }, () => '?').join(', ')})`),
  updateGroup: `UPDATE chat_groups SET
      name = IF(?, ?, name), avatar = IF(?, ?, avatar), notice = IF(?, ?, notice),
      owner = IF(?, ?, owner), muted_all = IF(?, ?, muted_all), dismissed = IF(?, ?, dismissed)
    WHERE app_id = ? AND group_id = ?`,

  insertConversation: `INSERT INTO conversations (app_id, conv_id, type, last_seq, updated_at, created_at) VALUES (?, ?, ?, 0, ?, ?)
    ON DUPLICATE KEY UPDATE app_id = app_id`,
  getConversation: 'SELECT app_id, conv_id, type, last_seq, last_message, updated_at FROM conversations WHERE app_id = ? AND conv_id = ?',
  insertMembers: shapeCache((n) => `INSERT INTO conversation_members (${MEMBER_COLS}) VALUES ${placeholders(n, 11)}
    ON DUPLICATE KEY UPDATE user_id = user_id`),
  deleteMember: 'DELETE FROM conversation_members WHERE app_id = ? AND conv_id = ? AND user_id = ?',
  getMember: `SELECT ${MEMBER_COLS} FROM conversation_members WHERE app_id = ? AND conv_id = ? AND user_id = ?`,
  getMemberRows: shapeCache((n) => `SELECT ${MEMBER_COLS} FROM conversation_members
    WHERE app_id = ? AND (conv_id, user_id) IN (${placeholders(n, 2)})`),
  listMembers: `SELECT ${MEMBER_COLS} FROM conversation_members WHERE app_id = ? AND conv_id = ? ORDER BY joined_at, user_id`,
  countMembers: 'SELECT COUNT(*) AS n FROM conversation_members WHERE app_id = ? AND conv_id = ?',
  updateMember: `UPDATE conversation_members SET
      role = IF(?, ?, role), muted_until = IF(?, ?, muted_until), muted = IF(?, ?, muted),
      pinned = IF(?, ?, pinned), hidden = IF(?, ?, hidden)
    WHERE app_id = ? AND conv_id = ? AND user_id = ?`,
  // Monotonic and capped at last_seq in one statement; read back on the same (primary) pool.
  markRead: `UPDATE conversation_members cm LEFT JOIN conversations c ON c.app_id = cm.app_id AND c.conv_id = cm.conv_id
    SET cm.read_seq = GREATEST(cm.read_seq, LEAST(?, COALESCE(c.last_seq, 0)))
    WHERE cm.app_id = ? AND cm.conv_id = ? AND cm.user_id = ?`,
  readSeq: 'SELECT read_seq FROM conversation_members WHERE app_id = ? AND conv_id = ? AND user_id = ?',
  listMemberConversations: `SELECT cm.app_id, cm.conv_id, cm.user_id, cm.role, cm.join_seq, cm.read_seq, cm.muted_until, cm.muted, cm.pinned,
      cm.hidden, cm.joined_at, c.type, c.last_seq, c.last_message, c.updated_at
    FROM conversation_members cm FORCE INDEX (conversation_members_by_user)
    JOIN conversations c ON c.app_id = cm.app_id AND c.conv_id = cm.conv_id
    WHERE cm.app_id = ? AND cm.user_id = ?
    ORDER BY c.updated_at DESC, cm.conv_id`,
  readersAtLeast: 'SELECT user_id FROM conversation_members WHERE app_id = ? AND conv_id = ? AND read_seq >= ? ORDER BY user_id',
};

/** `[set, value]` pairs for an IF(set, value, column) patch, in `keys` order. */
export function patchParams<K extends string>(keys: readonly K[], patch: Partial<Record<K, unknown>>,
  encode: (k: K, v: unknown) => string | number | null = (_k, v) => v as string | number | null): Array<string | number | null> {
  const out: Array<string | number | null> = [];
  for (const k of keys) {
    const present = patch[k] !== undefined;
    out.push(present ? 1 : 0, present ? encode(k, patch[k]) : null);
  }
  return out;
}
