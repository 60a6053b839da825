import { pool } from './child.js';
import type { Creds } from '../gen/transports.js';

export interface StoredEntry { seq: number; sender: string; cmid: string; type: string }
export interface Runtime { pid: number; event_loop: { idle_ms: number; active_ms: number }; cpu_user_ms: number; cpu_system_ms: number }
export interface ImportItem { from: string; to: string; cmid: string; text: string; created_at: number }

/**
 * The business-line side of Parley's HTTP API, as the bench needs it: create
 * users and groups, issue user tokens, and read the diagnostics routes. Requests run `concurrency` at a time
 * over keep-alive connections (fetch's default agent).
 */
export class Admin {
  constructor(readonly httpUrl: string, private readonly apiKey: string) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.httpUrl}/v1/admin${path}`, {
      method,
      headers: { authorization: `Bearer ${this.apiKey}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
    return (text ? JSON.parse(text) : {}) as T;
  }

  createUser(user_id: string): Promise<unknown> {
    return this.call('POST', '/users', { user_id, name: user_id });
  }

  async token(user_id: string): Promise<string> {
    return (await this.call<{ token: string }>('POST', `/users/${encodeURIComponent(user_id)}/tokens`, {})).token;
  }

  createGroup(group_id: string, owner: string, members: string[]): Promise<unknown> {
    return this.call('POST', '/groups', { group_id, name: group_id, owner, members });
  }

  /** Stored messages of a conversation as `user` reads them, oldest first, optionally only cmids with a prefix (diagnostics route). */
  async *stored(convId: string, user: string, cmidPrefix?: string): AsyncGenerator<StoredEntry> {
    let after = 0;
    for (let page = 0; page < 100_000; page++) {
      const q = new URLSearchParams({ user_id: user, after: String(after), limit: '10000', ...(cmidPrefix ? { cmid_prefix: cmidPrefix } : {}) });
      const r = await this.call<{ messages: StoredEntry[]; next_after: number | null }>('GET', `/diagnostics/conversations/${encodeURIComponent(convId)}/stored?${q}`);
      yield* r.messages;
      if (r.next_after === null) return;
      after = r.next_after;
    }
  }

  /** The server's cumulative event-loop and CPU counters (diagnostics route). */
  runtime(): Promise<Runtime> {
    return this.call('GET', '/diagnostics/runtime');
  }

  /** Bulk-import single-chat texts (diagnostics route): one transaction, no pushes. */
  import(messages: ImportItem[]): Promise<{ stored: number; duplicates: number }> {
    return this.call('POST', '/diagnostics/import', { messages });
  }

  /** Send a text as `from` (the business-push route: the same pipeline as a WebSocket send); answers after the commit. */
  sendText(from: string, conv_type: 'single' | 'group', to: string, text: string, cmid: string): Promise<{ seq: number }> {
    return this.call('POST', '/messages', { from, conv_type, to, type: 'text', content: { text }, cmid });
  }

  /** Wait until every committed message is in the full-text index. */
  flushSearchIndex(): Promise<unknown> {
    return this.call('POST', '/diagnostics/search-index/flush', {});
  }

  /** Create users (unless `exist`) and one token each. */
  async users(ids: readonly string[], opts: { concurrency?: number; exist?: boolean } = {}): Promise<Creds[]> {
    return pool(ids, opts.concurrency ?? 16, async (id) => {
      if (!opts.exist) await this.createUser(id);
      return { user: id, token: await this.token(id) };
    });
  }
}
