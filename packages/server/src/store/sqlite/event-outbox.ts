import type Database from 'better-sqlite3';
import type { MessageKey, StoredMessage } from '../store.js';
import { withoutFsync } from './no-fsync.js';
import { MESSAGE_COLUMNS, messageFromSql, type MessageSql } from './rows.js';

/**
 * Reads the event outbox (rows written by MessageWriter in the commit's
 * transaction). The table holds only messages whose event is not yet
 * confirmed, so a sweep walks it in primary-key order (no index of its own,
 * no sort) and joins each row to its message.
 */
export class EventOutbox {
  private readonly pendingFirst: Database.Statement;
  private readonly pendingAfter: Database.Statement;

  constructor(db: Database.Database) {
    const select = `SELECT ${MESSAGE_COLUMNS} FROM event_outbox o
      JOIN messages m ON m.app_id = o.app_id AND m.conv_id = o.conv_id AND m.seq = o.seq
      WHERE o.created_at <= @older_than`;
    const order = 'ORDER BY o.app_id, o.conv_id, o.seq LIMIT @limit';
    this.pendingFirst = db.prepare(`${select} ${order}`);
    this.pendingAfter = db.prepare(`${select} AND (o.app_id, o.conv_id, o.seq) > (@app_id, @conv_id, @seq) ${order}`);
  }

  pending(q: { olderThan: number; limit: number; after?: MessageKey }): StoredMessage[] {
    const limit = Math.floor(q.limit);
    if (!(limit > 0)) return [];
    const rows = q.after
      ? this.pendingAfter.all({ older_than: q.olderThan, limit, app_id: q.after.app_id, conv_id: q.after.conv_id, seq: q.after.seq })
      : this.pendingFirst.all({ older_than: q.olderThan, limit });
    return (rows as MessageSql[]).map(messageFromSql);
  }

}

/**
 * Clears outbox rows whose events are published, on the connection that runs
 * the message commits (so it never waits for that writer's lock). No fsync of
 * its own (withoutFsync): a mark lost at a power cut only means the event is
 * published again, which the outbox's at-least-once contract allows.
 */
export class OutboxMarks {
  private readonly deleteOne: Database.Statement;
  private readonly deleteTx: Database.Transaction<(keys: readonly MessageKey[]) => void>;

  constructor(private readonly db: Database.Database) {
    this.deleteOne = db.prepare('DELETE FROM event_outbox WHERE app_id = ? AND conv_id = ? AND seq = ?');
    this.deleteTx = db.transaction((keys: readonly MessageKey[]) => {
      for (const k of keys) this.deleteOne.run(k.app_id, k.conv_id, k.seq);
    });
  }

  markPublished(keys: readonly MessageKey[]): void {
    if (keys.length) withoutFsync(this.db, () => this.deleteTx.immediate(keys));
  }
}
