import Database from 'better-sqlite3';
import { join } from 'node:path';

/**
 * The "stored" leg of the correctness line, read from the server's own
 * SQLite file through a read-only connection (WAL lets it read while the
 * server writes). For each conversation: how many bench texts are stored and
 * how many sit at a seq that disagrees with their send order. Every bench
 * conversation is fresh, so message n of a sender must be the n-th stored
 * bench message; for a single sender that is seq order, checked with a
 * window function.
 */
export interface StoredCheck { stored: number; misordered: number }

export function storedCheck(dataDir: string, convIds: readonly string[], runTag: string): StoredCheck {
  const db = new Database(join(dataDir, 'parley.db'), { readonly: true, fileMustExist: true });
  try {
    const count = db.prepare(`SELECT count(*) FROM messages WHERE conv_id = ? AND type = 'text' AND cmid LIKE ?`).pluck();
    // n is the text before the first '|'; row_number() is the order of the seqs
    const misordered = db.prepare(`SELECT count(*) FROM (
        SELECT CAST(substr(t, 1, instr(t, '|') - 1) AS INTEGER) AS n, row_number() OVER (PARTITION BY sender ORDER BY seq) AS k
        FROM (SELECT seq, sender, json_extract(content, '$.text') AS t FROM messages WHERE conv_id = ? AND type = 'text' AND cmid LIKE ?)
      ) WHERE n != k`).pluck();
    let stored = 0;
    let bad = 0;
    for (const c of convIds) {
      if (!c) continue;
      stored += count.get(c, `${runTag}.%`) as number;
      bad += misordered.get(c, `${runTag}.%`) as number;
    }
    return { stored, misordered: bad };
  } finally {
    db.close();
  }
}
