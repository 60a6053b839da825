import type { MessageKey, StoredMessage } from '../store.js';
import { MESSAGE_COLUMNS, messageFromSql, type MessageSql } from '../sqlite/rows.js';
import type { Param, SqlPool } from './sql-pool.js';
import { cutPadded, placeholders, shapeCache } from './statement-shapes.js';

const SELECT = `SELECT ${MESSAGE_COLUMNS} FROM event_outbox o
  JOIN messages m ON m.app_id = o.app_id AND m.conv_id = o.conv_id AND m.seq = o.seq
  WHERE o.created_at <= ?`;
const ORDER = 'ORDER BY o.app_id, o.conv_id, o.seq LIMIT ?';
/** params: older_than, limit */
const pendingFirstSql = `${SELECT} ${ORDER}`;
/** params: older_than, app ×2, conv ×2, seq, limit (the key comparison spelt out: MariaDB ranges it on the primary key) */
const pendingAfterSql = `${SELECT}
  AND (o.app_id > ? OR (o.app_id = ? AND (o.conv_id > ? OR (o.conv_id = ? AND o.seq > ?)))) ${ORDER}`;
const deleteSql = shapeCache((n) => `DELETE FROM event_outbox WHERE (app_id, conv_id, seq) IN (${placeholders(n, 3)})`);

/**
 * Reads and clears the event outbox on the primary (rows written by
 * MessageWriter in the commit's transaction). The table holds only messages
 * whose event is not yet confirmed, so a sweep walks its primary key.
 */
export class MysqlEventOutbox {
  constructor(private readonly primary: SqlPool) {}

  async pending(q: { olderThan: number; limit: number; after?: MessageKey }): Promise<StoredMessage[]> {
    const limit = Math.floor(q.limit);
    if (!(limit > 0)) return [];
    const a = q.after;
    const { rows } = a
      ? await this.primary.run<MessageSql>('pending events', pendingAfterSql, [q.olderThan, a.app_id, a.app_id, a.conv_id, a.conv_id, a.seq, limit])
      : await this.primary.run<MessageSql>('pending events', pendingFirstSql, [q.olderThan, limit]);
    return rows.map(messageFromSql);
  }

  async markPublished(keys: readonly MessageKey[]): Promise<void> {
    if (keys.length === 0) return;
    const rows = keys.map((k) => [k.app_id, k.conv_id, k.seq] as Param[]);
    await this.primary.tx('mark events published', async (tx) => {
      for (const piece of cutPadded(rows)) await tx.run(deleteSql(piece.length), piece.flat());
    }, { readCommitted: true });
  }
}
