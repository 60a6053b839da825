import type Database from 'better-sqlite3';

/**
 * Every prepared statement of the domain tables, prepared once after the
 * schema is migrated. Patch updates use one statement with `set_*` flags
 * (CASE WHEN) instead of building SQL per call, so nothing is prepared on the
 * hot path and the statement cache stays bounded.
 */
/**
 * A read position moved: monotonic and capped in one statement, max(read_seq,
 * min(seq, last_seq)); answers the new read_seq, or nothing for a non-member.
 * Run where the message commits run (MessageCommits.markRead).
 */
export const MARK_READ_SQL = `UPDATE conversation_members SET read_seq = max(read_seq, min(@seq,
    coalesce((SELECT c.last_seq FROM conversations c WHERE c.app_id = @app_id AND c.conv_id = @conv_id), 0)))
  WHERE app_id = @app_id AND conv_id = @conv_id AND user_id = @user_id
  RETURNING read_seq`;

export interface ReadPosition { app_id: string; conv_id: string; user_id: string; seq: number }

/** Named so declaration emit can refer to it (better-sqlite3's own namespace is not exported by name). */
export interface Stmt extends Database.Statement {}

export function prepareDomainStatements(db: Database.Database) {
  const p = (sql: string): Stmt => db.prepare(sql);
  return {
    // apps
    insertApp: p(`INSERT INTO apps (app_id, name, api_key_hash, webhook_secret, settings, created_at)
      VALUES (@app_id, @name, @api_key_hash, @webhook_secret, @settings, @created_at)`),
    getApp: p('SELECT * FROM apps WHERE app_id = ?'),
    getAppByKeyHash: p('SELECT * FROM apps WHERE api_key_hash = ?'),
    listApps: p('SELECT * FROM apps ORDER BY created_at, app_id'),
    updateAppSettings: p('UPDATE apps SET settings = ? WHERE app_id = ?'),

    // users
    insertUser: p(`INSERT INTO users (app_id, user_id, name, avatar, meta, password_hash, tokens_valid_after, created_at)
      VALUES (@app_id, @user_id, @name, @avatar, @meta, @password_hash, @tokens_valid_after, @created_at)`),
    getUser: p('SELECT * FROM users WHERE app_id = ? AND user_id = ?'),
    // One statement for any number of ids: the id list is bound as a JSON array.
    getUsers: p('SELECT * FROM users WHERE app_id = ? AND user_id IN (SELECT value FROM json_each(?)) ORDER BY user_id'),
    updateUser: p(`UPDATE users SET
        name = CASE WHEN @set_name THEN @name ELSE name END,
        avatar = CASE WHEN @set_avatar THEN @avatar ELSE avatar END,
        meta = CASE WHEN @set_meta THEN @meta ELSE meta END,
        password_hash = CASE WHEN @set_password_hash THEN @password_hash ELSE password_hash END,
        tokens_valid_after = CASE WHEN @set_tokens_valid_after THEN @tokens_valid_after ELSE tokens_valid_after END
      WHERE app_id = @app_id AND user_id = @user_id`),
    // Exact id first, then prefixes, then other substrings.
    searchUsers: p(`SELECT * FROM users
      WHERE app_id = @app_id AND (user_id LIKE @contains ESCAPE '\\' OR name LIKE @contains ESCAPE '\\')
      ORDER BY CASE WHEN lower(user_id) = lower(@exact) THEN 0
                    WHEN user_id LIKE @prefix ESCAPE '\\' OR name LIKE @prefix ESCAPE '\\' THEN 1 ELSE 2 END, user_id
      LIMIT @limit`),

    // friends (two directed rows) and blocks (one directed row)
    insertFriend: p('INSERT INTO friends (app_id, user_id, friend_id, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING'),
    deleteFriend: p('DELETE FROM friends WHERE app_id = ? AND user_id = ? AND friend_id = ?'),
    listFriends: p('SELECT friend_id FROM friends WHERE app_id = ? AND user_id = ? ORDER BY friend_id').pluck(),
    isFriend: p('SELECT 1 FROM friends WHERE app_id = ? AND user_id = ? AND friend_id = ?').pluck(),
    insertBlock: p('INSERT INTO blocks (app_id, blocker, blocked, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING'),
    deleteBlock: p('DELETE FROM blocks WHERE app_id = ? AND blocker = ? AND blocked = ?'),
    listBlocked: p('SELECT blocked FROM blocks WHERE app_id = ? AND blocker = ? ORDER BY blocked').pluck(),
    isBlocked: p('SELECT 1 FROM blocks WHERE app_id = ? AND blocker = ? AND blocked = ?').pluck(),

    // groups (created by GroupWriter)
    getGroup: p('SELECT * FROM chat_groups WHERE app_id = ? AND group_id = ?'),
    getGroups: p('SELECT * FROM chat_groups WHERE app_id = ? AND group_id IN (SELECT value FROM json_each(?)) ORDER BY group_id'),
    updateGroup: p(`UPDATE chat_groups SET
        name = CASE WHEN @set_name THEN @name ELSE name END,
        avatar = CASE WHEN @set_avatar THEN @avatar ELSE avatar END,
        notice = CASE WHEN @set_notice THEN @notice ELSE notice END,
        owner = CASE WHEN @set_owner THEN @owner ELSE owner END,
        muted_all = CASE WHEN @set_muted_all THEN @muted_all ELSE muted_all END,
        dismissed = CASE WHEN @set_dismissed THEN @dismissed ELSE dismissed END
      WHERE app_id = @app_id AND group_id = @group_id`),

    // conversations and members
    insertConversation: p(`INSERT INTO conversations (app_id, conv_id, type, last_seq, updated_at, created_at)
      VALUES (?, ?, ?, 0, ?, ?) ON CONFLICT DO NOTHING`),
    getConversation: p('SELECT app_id, conv_id, type, last_seq, last_message, updated_at FROM conversations WHERE app_id = ? AND conv_id = ?'),
    insertMember: p(`INSERT INTO conversation_members
        (app_id, conv_id, user_id, role, join_seq, read_seq, muted_until, muted, pinned, hidden, joined_at)
      VALUES (@app_id, @conv_id, @user_id, @role, @join_seq, @read_seq, @muted_until, @muted, @pinned, @hidden, @joined_at)
      ON CONFLICT DO NOTHING`),
    deleteMember: p('DELETE FROM conversation_members WHERE app_id = ? AND conv_id = ? AND user_id = ?'),
    getMember: p('SELECT * FROM conversation_members WHERE app_id = ? AND conv_id = ? AND user_id = ?'),
    // Any number of (conv, user) pairs in one statement, bound as a JSON array of [conv_id, user_id].
    // CROSS JOIN keeps the pairs the outer loop (a primary-key lookup each), not a scan of the app's members.
    getMemberRows: p(`SELECT cm.* FROM json_each(@keys) j
      CROSS JOIN conversation_members cm ON cm.app_id = @app_id AND cm.conv_id = j.value ->> 0 AND cm.user_id = j.value ->> 1`),
    listMembers: p('SELECT * FROM conversation_members WHERE app_id = ? AND conv_id = ? ORDER BY joined_at, user_id'),
    countMembers: p('SELECT count(*) FROM conversation_members WHERE app_id = ? AND conv_id = ?').pluck(),
    updateMember: p(`UPDATE conversation_members SET
        role = CASE WHEN @set_role THEN @role ELSE role END,
        muted_until = CASE WHEN @set_muted_until THEN @muted_until ELSE muted_until END,
        muted = CASE WHEN @set_muted THEN @muted ELSE muted END,
        pinned = CASE WHEN @set_pinned THEN @pinned ELSE pinned END,
        hidden = CASE WHEN @set_hidden THEN @hidden ELSE hidden END
      WHERE app_id = @app_id AND conv_id = @conv_id AND user_id = @user_id`),
    // INDEXED BY: without ANALYZE statistics SQLite guesses the leading app_id
    // is selective and would scan the whole app's member rows by primary key.
    listMemberConversations: p(`SELECT cm.*, c.type, c.last_seq, c.last_message, c.updated_at
      FROM conversation_members cm INDEXED BY conversation_members_by_user
      JOIN conversations c ON c.app_id = cm.app_id AND c.conv_id = cm.conv_id
      WHERE cm.app_id = ? AND cm.user_id = ?
      ORDER BY c.updated_at DESC, cm.conv_id`),
    readersAtLeast: p('SELECT user_id FROM conversation_members WHERE app_id = ? AND conv_id = ? AND read_seq >= ? ORDER BY user_id').pluck(),
  };
}

export type DomainStatements = ReturnType<typeof prepareDomainStatements>;

/** Named parameters for a CASE WHEN patch statement: `set_<k>` = 1 when the key is present. */
export function patchParams<K extends string>(keys: readonly K[], patch: Partial<Record<K, unknown>>, encode: (k: K, v: unknown) => unknown = (_k, v) => v) {
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    const present = patch[k] !== undefined;
    out[`set_${k}`] = present ? 1 : 0;
    out[k] = present ? encode(k, patch[k]) : null;
  }
  return out;
}
