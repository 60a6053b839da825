import type { SendFrame } from '@parley/protocol';

/**
 * This device's unacked sends, kept in localStorage so a refresh (or a
 * crash of the tab) does not lose what the user typed while offline: on the
 * next start they are sent again with the same cmid, and the server's dedup
 * makes that one message.
 */
export type PendingRecord = Omit<SendFrame, 'op' | 'id'> & { conv_id: string; created_at: number };

export interface KeyValue {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export function pendingKey(appId: string, userId: string): string {
  return `parley.pending.${appId}.${userId}`;
}

function isRecord(x: unknown): x is PendingRecord {
  const r = x as PendingRecord;
  return !!r && typeof r === 'object' && typeof r.cmid === 'string' && typeof r.conv_id === 'string'
    && (r.conv_type === 'single' || r.conv_type === 'group') && typeof r.to === 'string' && typeof r.type === 'string'
    && typeof r.created_at === 'number';
}

export function loadPending(kv: KeyValue, key: string): PendingRecord[] {
  try {
    const parsed: unknown = JSON.parse(kv.getItem(key) ?? '[]');
    return Array.isArray(parsed) ? parsed.filter(isRecord) : [];
  } catch {
    return [];
  }
}

export function savePending(kv: KeyValue, key: string, list: PendingRecord[]): void {
  try {
    if (list.length === 0) kv.removeItem(key);
    else kv.setItem(key, JSON.stringify(list));
  } catch {
    // storage full or disabled: the in-memory outbox still holds them
  }
}

export function upsertPending(list: PendingRecord[], rec: PendingRecord): PendingRecord[] {
  return list.some((r) => r.cmid === rec.cmid) ? list : [...list, rec];
}

export function dropPending(list: PendingRecord[], cmid: string): PendingRecord[] {
  return list.filter((r) => r.cmid !== cmid);
}
