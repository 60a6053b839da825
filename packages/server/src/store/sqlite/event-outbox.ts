import type Database from 'better-sqlite3';
import type { MessageKey, StoredMessage } from '../store.js';
import { MESSAGE_COLUMNS, messageFromSql, type MessageSql } from './rows.js';

/**
 * Reads and clears the event outbox (rows written by MessageWriter in the
 * commit's transaction). The table holds only messages whose event is not
 * yet confirmed, so a sweep walks it in primary-key order (no index of its
 * own, no sort) and joins each row to its message.
 */
export class EventOutbox {
  private readonly pendingFirst: Database.Statement;
  private readonly pendingAfter: Database.Statement;
  private readonly deleteOne: Database.Statement;
  private readonly deleteTx: Database.Transaction<(keys: readonly MessageKey[]) => void>;

  constructor(db: Database.Database) {
    const select = `SELECT ${MESSAGE_COLUMNS} FROM event_outbox o
      JOIN messages m ON m.app_id = o.app_id AND m.conv_id = o.conv_id AND m.seq = o.seq
      WHERE o.created_at <= @older_than`;
    const order = 'ORDER BY o.app_id, o.conv_id, o.seq LIMIT @limit';
    this.pendingFirst = db.prepare(`${select} ${order}`);
    this.pendingAfter = db.prepare(`${select} AND (o.app_id, o.conv_id, o.seq) > (@app_id, @conv_id, @seq) ${order}`);
    this.deleteOne = db.prepare('DELETE FROM event_outbox WHERE app_id = ? AND conv_id = ? AND seq = ?');
    this.deleteTx = db.transaction((keys: readonly MessageKey[]) => {
      for (const k of keys) this.deleteOne.run(k.app_id, k.conv_id, k.seq);
    });
  }

  pending(q: { olderThan: number; limit: number; after?: MessageKey }): StoredMessage[] {
    const limit = Math.floor(q.limit);
    if (!(limit > 0)) return [];
    const rows = q.after
      ? this.pendingAfter.all({ older_than: q.olderThan, limit, app_id: q.after.app_id, conv_id: q.after.conv_id, seq: q.after.seq })
      : this.pendingFirst.all({ older_than: q.olderThan, limit });
    return (rows as MessageSql[]).map(messageFromSql);
  }

  markPublished(keys: readonly MessageKey[]): void {
    if (keys.length) this.deleteTx.immediate(keys);
  }
}
