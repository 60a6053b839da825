import type { SearchQuery, StoredMessage } from '../store.js';
import { messageFromSql, type MessageSql } from '../sqlite/rows.js';
import { MSQL } from './message-sql.js';
import { foldForIndex, queryPhrase } from './search-tokens.js';
import type { Param, SqlPool } from './sql-pool.js';

/** Which plan answered a search (for tests and diagnostics). */
export type SearchPlan = 'scan' | 'index';

export const DEFAULT_SCAN_MAX_MESSAGES = 50_000;

/**
 * Full-text search over the caller's own timelines, as the SQLite store does
 * it (DESIGN §3): the same scope (member, seq ≥ join_seq, not hidden for
 * them, status normal, the app, the optional filters) and the same rule (the
 * folded query is a substring of the folded text), with two plans:
 *
 * - scan: the caller's conversations, each timeline from join_seq, matched
 *   with INSTR over search_text; for scopes up to `scanMaxMessages`, and for
 *   queries the index cannot answer (no word characters, a lone CJK character).
 * - index: the FULLTEXT phrase of the query's tokens (search-tokens.ts), then
 *   the same INSTR. Latin words are indexed whole, so on this plan a Latin
 *   query word matches whole words only ("port" does not find "report");
 *   CJK matches any substring of 2+ characters, in order.
 */
export class MessageSearch {
  constructor(private readonly scanMaxMessages = DEFAULT_SCAN_MAX_MESSAGES) {}

  async plan(pool: SqlPool, q: SearchQuery): Promise<SearchPlan | null> {
    const text = q.text.trim();
    if (text.length === 0 || !(Math.floor(q.limit) > 0)) return null;
    if (queryPhrase(text) === null) return 'scan';
    if (this.scanMaxMessages <= 0) return 'index';
    const conv = q.conv_id ?? null;
    const { rows } = await pool.run<{ n: number }>('search', MSQL.scopeSize, [q.app_id, q.user_id, conv, conv]);
    return Number(rows[0]?.n ?? 0) <= this.scanMaxMessages ? 'scan' : 'index';
  }

  async search(pool: SqlPool, q: SearchQuery): Promise<StoredMessage[]> {
    const plan = await this.plan(pool, q);
    if (plan === null) return [];
    const text = q.text.trim();
    const conv = q.conv_id ?? null;
    const scope: Param[] = [q.app_id, conv, conv, q.sender ?? null, q.sender ?? null, q.type ?? null, q.type ?? null,
      q.since ?? null, q.since ?? null, q.until ?? null, q.until ?? null];
    const needle = foldForIndex(text);
    const limit = Math.floor(q.limit);
    const { rows } = plan === 'index'
      ? await pool.run<MessageSql>('search', MSQL.searchByIndex, [q.user_id, queryPhrase(text), ...scope, needle, limit])
      : await pool.run<MessageSql>('search', MSQL.searchByScan, [q.app_id, q.user_id, conv, conv, ...scope, needle, limit]);
    return rows.map(messageFromSql);
  }
}
