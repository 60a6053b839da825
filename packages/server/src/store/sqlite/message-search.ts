import type Database from 'better-sqlite3';
import type { SearchQuery, StoredMessage } from '../store.js';
import { NOT_HIDDEN_FOR_READER } from './message-reader.js';
import { MESSAGE_COLUMNS, messageFromSql, type MessageSql } from './rows.js';
import { charLength, ftsPhrase, likeContains, searchableTextOfJson, TRIGRAM_MIN_CHARS } from './search-text.js';

/** SQL name of the function that extracts a stored message's searchable text. */
const SEARCH_TEXT_FN = 'parley_search_text';

/**
 * Full-text search over the caller's own timelines (DESIGN §3).
 *
 * Queries of 3+ characters go through the FTS5 trigram index as one quoted
 * phrase (a substring match, case-insensitive). Shorter ones — common in
 * Chinese, where 北京 is a whole word — cannot use trigrams, so they scan the
 * indexed messages of the caller's own conversations with LIKE over the same
 * searchable text the index was built from.
 *
 * Both paths apply the same scope: the caller is a member, seq ≥ their
 * join_seq, not hidden for them, status normal, the app; plus the optional
 * filters (since/until inclusive, on created_at). Newest first.
 */
export class MessageSearch {
  private readonly byIndex: Database.Statement;
  private readonly byScan: Database.Statement;

  constructor(db: Database.Database) {
    // Registered per connection; nothing in the schema depends on it, so the
    // file stays readable by any SQLite tool.
    db.function(SEARCH_TEXT_FN, { deterministic: true }, (type: unknown, content: unknown) =>
      typeof type === 'string' && typeof content === 'string' ? searchableTextOfJson(type, content) : null);

    const scope = `m.app_id = @app_id AND m.status = 'normal'
      AND (@conv_id IS NULL OR m.conv_id = @conv_id)
      AND (@sender IS NULL OR m.sender = @sender)
      AND (@type IS NULL OR m.type = @type)
      AND (@since IS NULL OR m.created_at >= @since)
      AND (@until IS NULL OR m.created_at <= @until)
      AND ${NOT_HIDDEN_FOR_READER}`;
    const order = 'ORDER BY m.created_at DESC, m.conv_id, m.seq DESC LIMIT @limit';

    this.byIndex = db.prepare(`SELECT ${MESSAGE_COLUMNS}
      FROM message_fts f
      JOIN messages m ON m.fts_id = f.rowid
      JOIN conversation_members cm ON cm.app_id = m.app_id AND cm.conv_id = m.conv_id AND cm.user_id = @user_id
      WHERE message_fts MATCH @phrase AND m.seq >= cm.join_seq AND ${scope}
      ${order}`);
    // fts_id IS NOT NULL: only messages of an indexed type, the same set the index holds.
    // INDEXED BY and CROSS JOIN pin the plan to "the caller's conversations, then
    // each timeline from join_seq": without statistics SQLite would rather scan
    // every message of the app.
    this.byScan = db.prepare(`SELECT ${MESSAGE_COLUMNS}
      FROM conversation_members cm INDEXED BY conversation_members_by_user
      CROSS JOIN messages m ON m.app_id = cm.app_id AND m.conv_id = cm.conv_id AND m.seq >= cm.join_seq
      WHERE cm.app_id = @app_id AND cm.user_id = @user_id AND (@conv_id IS NULL OR cm.conv_id = @conv_id)
        AND m.fts_id IS NOT NULL AND ${scope}
        AND ${SEARCH_TEXT_FN}(m.type, m.content) LIKE @pattern ESCAPE '\\'
      ${order}`);
  }

  search(q: SearchQuery): StoredMessage[] {
    const text = q.text.trim();
    const limit = Math.floor(q.limit);
    if (text.length === 0 || !(limit > 0)) return [];
    const params = {
      app_id: q.app_id, user_id: q.user_id, limit,
      conv_id: q.conv_id ?? null, sender: q.sender ?? null, type: q.type ?? null,
      since: q.since ?? null, until: q.until ?? null,
    };
    const rows = charLength(text) >= TRIGRAM_MIN_CHARS
      ? this.byIndex.all({ ...params, phrase: ftsPhrase(text) })
      : this.byScan.all({ ...params, pattern: likeContains(text) });
    return (rows as MessageSql[]).map(messageFromSql);
  }
}
