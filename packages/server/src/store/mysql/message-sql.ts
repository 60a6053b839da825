import { MESSAGE_COLUMNS } from '../sqlite/rows.js';

/**
 * SQL of timeline reads, per-message changes and search (MySQL/MariaDB).
 * Positional parameters; each statement's parameter order is given next to it.
 */

/**
 * The reader's delete-for-me rows hide a message from them only: an anti-join
 * on message_hidden's primary key, one lookup per candidate row (a NOT EXISTS
 * subquery is materialized by MariaDB as a scan of the whole index).
 */
const HIDDEN_JOIN = `LEFT JOIN message_hidden h
  ON h.app_id = m.app_id AND h.conv_id = m.conv_id AND h.user_id = cm.user_id AND h.seq = m.seq`;

/** History joins the reader's member row: nothing for a non-member, nothing below join_seq, one snapshot. Params: app, conv, user. */
const FROM_MEMBER = `FROM conversation_members cm
  JOIN messages m ON m.app_id = cm.app_id AND m.conv_id = cm.conv_id AND m.seq >= cm.join_seq
  ${HIDDEN_JOIN}
  WHERE cm.app_id = ? AND cm.conv_id = ? AND cm.user_id = ? AND h.seq IS NULL`;

/**
 * Search scope (after the plan's joins, HIDDEN_JOIN included). Params: app, conv×2, sender×2, type×2, since×2, until×2.
 * Text and tokens are NULL exactly for types that are not searchable.
 */
const SEARCH_SCOPE = `m.app_id = ? AND m.status = 'normal' AND m.search_text IS NOT NULL
  AND (? IS NULL OR m.conv_id = ?)
  AND (? IS NULL OR m.sender = ?)
  AND (? IS NULL OR m.type = ?)
  AND (? IS NULL OR m.created_at >= ?)
  AND (? IS NULL OR m.created_at <= ?)
  AND h.seq IS NULL`;
const SEARCH_ORDER = 'ORDER BY m.created_at DESC, m.conv_id, m.seq DESC LIMIT ?';

export const MSQL = {
  get: `SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE m.app_id = ? AND m.conv_id = ? AND m.seq = ?`,
  getForUpdate: `SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE m.app_id = ? AND m.conv_id = ? AND m.seq = ? FOR UPDATE`,
  byCmid: `SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE m.app_id = ? AND m.sender = ? AND m.cmid = ?`,
  maxSeq: 'SELECT COALESCE(MAX(seq), 0) AS n FROM messages WHERE app_id = ? AND conv_id = ?',
  /** params: FROM_MEMBER, before, limit */
  newestFirst: `SELECT ${MESSAGE_COLUMNS} ${FROM_MEMBER} AND m.seq < ? ORDER BY m.seq DESC LIMIT ?`,
  /** params: FROM_MEMBER, after, limit */
  oldestFirst: `SELECT ${MESSAGE_COLUMNS} ${FROM_MEMBER} AND m.seq > ? ORDER BY m.seq ASC LIMIT ?`,
  setStatus: 'UPDATE messages SET status = ?, status_at = ? WHERE app_id = ? AND conv_id = ? AND seq = ?',
  // The preview is the message at last_seq; keep it truthful when that message is recalled.
  setPreviewStatus: `UPDATE conversations SET last_message = JSON_SET(last_message, '$.status', ?)
    WHERE app_id = ? AND conv_id = ? AND last_message IS NOT NULL AND last_seq = ?`,
  insertHidden: `INSERT INTO message_hidden (app_id, conv_id, user_id, seq, hidden_at) VALUES (?, ?, ?, ?, ?)
    ON DUPLICATE KEY UPDATE hidden_at = hidden_at`,

  /** params: user (member join), phrase, SEARCH_SCOPE, needle, limit */
  searchByIndex: `SELECT ${MESSAGE_COLUMNS}
    FROM messages m
    JOIN conversation_members cm ON cm.app_id = m.app_id AND cm.conv_id = m.conv_id AND cm.user_id = ?
    ${HIDDEN_JOIN}
    WHERE MATCH (m.search_tokens) AGAINST (? IN BOOLEAN MODE) AND m.seq >= cm.join_seq AND ${SEARCH_SCOPE}
      AND INSTR(m.search_text, ?) > 0
    ${SEARCH_ORDER}`,
  /**
   * params: app, user, conv×2, SEARCH_SCOPE, needle, limit — the caller's conversations, then each timeline from join_seq.
   * FORCE INDEX and STRAIGHT_JOIN pin that plan: on a leading app_id alone the optimizer would walk every member row of the app.
   */
  searchByScan: `SELECT ${MESSAGE_COLUMNS}
    FROM conversation_members cm FORCE INDEX (conversation_members_by_user)
    STRAIGHT_JOIN messages m ON m.app_id = cm.app_id AND m.conv_id = cm.conv_id AND m.seq >= cm.join_seq
    ${HIDDEN_JOIN}
    WHERE cm.app_id = ? AND cm.user_id = ? AND (? IS NULL OR cm.conv_id = ?) AND ${SEARCH_SCOPE}
      AND INSTR(m.search_text, ?) > 0
    ${SEARCH_ORDER}`,
  /** An upper bound of the caller's searchable messages (seqs may have gaps). Params: app, user, conv×2. */
  scopeSize: `SELECT CAST(COALESCE(SUM(GREATEST(c.last_seq - cm.join_seq + 1, 0)), 0) AS SIGNED) AS n
    FROM conversation_members cm FORCE INDEX (conversation_members_by_user)
    JOIN conversations c ON c.app_id = cm.app_id AND c.conv_id = cm.conv_id
    WHERE cm.app_id = ? AND cm.user_id = ? AND (? IS NULL OR cm.conv_id = ?)`,
};
