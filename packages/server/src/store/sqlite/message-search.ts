import type Database from 'better-sqlite3';
import type { SearchQuery, StoredMessage } from '../store.js';
import { NOT_HIDDEN_FOR_READER } from './message-reader.js';
import { MESSAGE_COLUMNS, messageFromSql, type MessageSql } from './rows.js';
import { foldForSearch } from './search-fold.js';
import { charLength, ftsPhrase, TRIGRAM_MIN_CHARS } from './search-text.js';

/** Default largest scope (messages the caller can see) searched by scanning it rather than through the index. */
export const DEFAULT_SCAN_MAX_MESSAGES = 50_000;

/** Which plan answered a search (for tests and diagnostics). */
export type SearchPlan = 'scan' | 'index';

/**
 * Full-text search over the caller's own timelines (DESIGN §3).
 *
 * Two plans, chosen per call by the caller's scope (the messages of their
 * conversations from their join_seq, estimated from conversations.last_seq
 * over their member rows, an index read of those rows):
 *
 * - scan: walk the caller's conversations and match `instr()` over
 *   messages.search_text, the searchable text folded exactly as the trigram
 *   tokenizer folds it. Cost follows the caller's scope, so it is used for
 *   scopes up to `scanMaxMessages`, and always for queries shorter than a
 *   trigram (common in Chinese, where 北京 is a whole word).
 * - index: the FTS5 trigram index, the query as one quoted phrase (a
 *   substring match, case-insensitive), plus a scan of the committed rows the
 *   index does not hold yet (it is written after the commit). Cost follows how
 *   common the text is store-wide, so it is kept for callers whose scope is larger.
 *
 * Both find the same messages (a substring of the same folded text) and apply
 * the same scope: the caller is a member, seq ≥ their join_seq, not hidden for
 * them, status normal, the app; plus the optional filters (since/until
 * inclusive, on created_at). Newest first.
 */
export class MessageSearch {
  private readonly byIndex: Database.Statement;
  private readonly byScan: Database.Statement;
  private readonly scopeSize: Database.Statement;

  constructor(db: Database.Database, private readonly scanMaxMessages = DEFAULT_SCAN_MAX_MESSAGES) {
    const scope = `m.app_id = @app_id AND m.status = 'normal'
      AND (@conv_id IS NULL OR m.conv_id = @conv_id)
      AND (@sender IS NULL OR m.sender = @sender)
      AND (@type IS NULL OR m.type = @type)
      AND (@since IS NULL OR m.created_at >= @since)
      AND (@until IS NULL OR m.created_at <= @until)
      AND ${NOT_HIDDEN_FOR_READER}`;
    const order = 'ORDER BY m.created_at DESC, m.conv_id, m.seq DESC LIMIT @limit';
    const members = `cm.app_id = @app_id AND cm.user_id = @user_id AND (@conv_id IS NULL OR cm.conv_id = @conv_id)`;

    // The index holds fts_id up to its largest rowid (SearchIndexer's mark, read in the
    // same statement, so in the same snapshot as the index); committed rows above it are
    // matched by scanning them, the same folded substring test, so a message is found as
    // soon as it is committed, and never twice.
    this.byIndex = db.prepare(`SELECT * FROM (
        SELECT ${MESSAGE_COLUMNS}
        FROM message_fts f
        JOIN messages m ON m.fts_id = f.rowid
        JOIN conversation_members cm ON cm.app_id = m.app_id AND cm.conv_id = m.conv_id AND cm.user_id = @user_id
        WHERE message_fts MATCH @phrase AND m.seq >= cm.join_seq AND ${scope}
        UNION ALL
        SELECT ${MESSAGE_COLUMNS}
        FROM messages m INDEXED BY messages_by_fts_id
        JOIN conversation_members cm ON cm.app_id = m.app_id AND cm.conv_id = m.conv_id AND cm.user_id = @user_id
        WHERE m.fts_id > (SELECT coalesce(max(id), 0) FROM message_fts_docsize) AND m.fts_id IS NOT NULL AND instr(m.search_text, @needle) > 0 AND m.seq >= cm.join_seq AND ${scope}
      ) ORDER BY created_at DESC, conv_id, seq DESC LIMIT @limit`);
    // search_text is NULL for messages of a type that is not indexed, as fts_id is.
    // INDEXED BY and CROSS JOIN pin the plan to "the caller's conversations, then
    // each timeline from join_seq": without statistics SQLite would rather scan
    // every message of the app.
    this.byScan = db.prepare(`SELECT ${MESSAGE_COLUMNS}
      FROM conversation_members cm INDEXED BY conversation_members_by_user
      CROSS JOIN messages m ON m.app_id = cm.app_id AND m.conv_id = cm.conv_id AND m.seq >= cm.join_seq
      WHERE ${members} AND ${scope}
        AND instr(m.search_text, @needle) > 0
      ${order}`);
    // An upper bound: seqs may have gaps (duplicates, types without text).
    this.scopeSize = db.prepare(`SELECT coalesce(sum(max(c.last_seq - cm.join_seq + 1, 0)), 0)
      FROM conversation_members cm INDEXED BY conversation_members_by_user
      CROSS JOIN conversations c ON c.app_id = cm.app_id AND c.conv_id = cm.conv_id
      WHERE ${members}`).pluck();
  }

  /** The plan `search` uses for this query (null: nothing to search). */
  plan(q: SearchQuery): SearchPlan | null {
    const text = q.text.trim();
    if (text.length === 0 || !(Math.floor(q.limit) > 0)) return null;
    if (charLength(text) < TRIGRAM_MIN_CHARS) return 'scan';
    const scope = this.scopeSize.get({ app_id: q.app_id, user_id: q.user_id, conv_id: q.conv_id ?? null }) as number;
    return scope <= this.scanMaxMessages ? 'scan' : 'index';
  }

  search(q: SearchQuery): StoredMessage[] {
    const plan = this.plan(q);
    if (plan === null) return [];
    const text = q.text.trim();
    const params = {
      app_id: q.app_id, user_id: q.user_id, limit: Math.floor(q.limit),
      conv_id: q.conv_id ?? null, sender: q.sender ?? null, type: q.type ?? null,
      since: q.since ?? null, until: q.until ?? null,
    };
    const rows = plan === 'index'
      ? this.byIndex.all({ ...params, phrase: ftsPhrase(text), needle: foldForSearch(text) })
      : this.byScan.all({ ...params, needle: foldForSearch(text) });
    return (rows as MessageSql[]).map(messageFromSql);
  }
}
