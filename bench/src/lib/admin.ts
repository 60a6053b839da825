import { pool } from './child.js';
import type { Creds } from '../gen/transports.js';

/**
 * The business-line side of Parley's HTTP API, as the bench needs it: create
 * users and groups, issue user tokens. Requests run `concurrency` at a time
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

  /** Create users (unless `exist`) and one token each. */
  async users(ids: readonly string[], opts: { concurrency?: number; exist?: boolean } = {}): Promise<Creds[]> {
    return pool(ids, opts.concurrency ?? 16, async (id) => {
      if (!opts.exist) await this.createUser(id);
      return { user: id, token: await this.token(id) };
    });
  }
}
