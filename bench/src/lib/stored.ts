import { parseConvId } from '@parley/protocol';
import { pool } from './child.js';
import type { Admin } from './admin.js';

/**
 * The "stored" leg of the correctness line, read through Parley's diagnostics
 * route (`GET /v1/admin/diagnostics/conversations/{conv_id}/stored`): the
 * bench never reads the server's database itself. For each conversation: how
 * many of this run's messages are stored, and how many sit at a seq that
 * disagrees with their send order. Every bench conversation is fresh and a
 * bench cmid is `<runTag>.<sender index>.<n>`, so per sender the n-th message
 * must be the n-th stored in seq order.
 */
export interface StoredCheck { stored: number; misordered: number }

/** `reader`: a member of the group (single chats use their first user). */
export async function storedCheck(admin: Admin, convIds: readonly string[], runTag: string, reader?: string): Promise<StoredCheck> {
  const prefix = `${runTag}.`;
  const perConv = await pool(convIds.filter(Boolean), 8, async (convId) => {
    const user = parseConvId(convId)?.users?.[0] ?? reader;
    if (!user) throw new Error(`stored check: no reader for ${convId}`);
    let stored = 0;
    let misordered = 0;
    const lastN = new Map<string, number>();
    for await (const m of admin.stored(convId, user, prefix)) {
      stored++;
      const n = Number(m.cmid.slice(m.cmid.lastIndexOf('.') + 1));
      const k = (lastN.get(m.sender) ?? 0) + 1;
      if (n !== k) misordered++;
      lastN.set(m.sender, Math.max(n, k));
    }
    return { stored, misordered };
  });
  return perConv.reduce((a, b) => ({ stored: a.stored + b.stored, misordered: a.misordered + b.misordered }), { stored: 0, misordered: 0 });
}
