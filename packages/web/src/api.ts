import { ParleyError, isErrorCode, type GroupInfo, type GroupMember, type UserProfile } from '@parley/protocol';

/**
 * A thin client of the HTTP API (docs/http-api.md): accounts, users, groups
 * and uploads. Messaging goes over the WebSocket through the SDK. Errors come
 * back as ParleyErrors with the catalogue's code, so the UI switches on one
 * kind of error whichever path failed.
 */
export interface Session { user: UserProfile; token: string; expires_at: number }
export interface UserWithPresence extends UserProfile { online: boolean; platforms: string[] }
export interface Uploaded { url: string; size: number; mime: string; name: string }

export class Api {
  constructor(private readonly base: string, private readonly token: () => string | undefined) {}

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    const token = this.token();
    if (token) headers.authorization = `Bearer ${token}`;
    let payload: BodyInit | undefined;
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    let res: Response;
    try {
      res = await fetch(this.base + path, { method, headers, body: payload });
    } catch {
      throw new ParleyError('unavailable', 'cannot reach the server; check your connection');
    }
    const text = await res.text();
    const json = text ? safeJson(text) : undefined;
    if (!res.ok) {
      const e = (json as { error?: { code?: unknown; message?: string } } | undefined)?.error;
      throw new ParleyError(isErrorCode(e?.code) ? e.code : res.status >= 500 ? 'internal' : 'bad_frame', e?.message ?? `HTTP ${res.status}`);
    }
    return json as T;
  }

  login(app_id: string, user_id: string, password: string): Promise<Session> {
    return this.request('POST', '/v1/auth/login', { app_id, user_id, password });
  }

  register(app_id: string, user_id: string, password: string, name?: string): Promise<Session> {
    return this.request('POST', '/v1/auth/register', { app_id, user_id, password, ...(name ? { name } : {}) });
  }

  logout(): Promise<{ revoked: true }> {
    return this.request('POST', '/v1/auth/logout');
  }

  me(): Promise<UserProfile> {
    return this.request('GET', '/v1/me');
  }

  /** The app's features a client adapts to (recall window, receipts, group size). */
  appInfo(): Promise<{ app_id: string; name: string; recall_window_sec: number; read_receipts: boolean; max_group_members: number }> {
    return this.request('GET', '/v1/app');
  }

  searchUsers(q: string, limit = 20): Promise<{ users: UserProfile[] }> {
    return this.request('GET', `/v1/users?q=${encodeURIComponent(q)}&limit=${limit}`);
  }

  user(userId: string): Promise<UserWithPresence> {
    return this.request('GET', `/v1/users/${encodeURIComponent(userId)}`);
  }

  createGroup(name: string, members: string[], notice?: string): Promise<GroupInfo> {
    return this.request('POST', '/v1/groups', { name, members, ...(notice ? { notice } : {}) });
  }

  group(groupId: string): Promise<GroupInfo> {
    return this.request('GET', `/v1/groups/${encodeURIComponent(groupId)}`);
  }

  members(groupId: string): Promise<{ members: GroupMember[] }> {
    return this.request('GET', `/v1/groups/${encodeURIComponent(groupId)}/members`);
  }

  addMembers(groupId: string, user_ids: string[]): Promise<GroupInfo> {
    return this.request('POST', `/v1/groups/${encodeURIComponent(groupId)}/members`, { user_ids });
  }

  removeMember(groupId: string, userId: string): Promise<GroupInfo> {
    return this.request('DELETE', `/v1/groups/${encodeURIComponent(groupId)}/members/${encodeURIComponent(userId)}`);
  }

  leave(groupId: string): Promise<{ left: true }> {
    return this.request('POST', `/v1/groups/${encodeURIComponent(groupId)}/leave`);
  }

  updateGroup(groupId: string, patch: { name?: string; notice?: string }): Promise<GroupInfo> {
    return this.request('PATCH', `/v1/groups/${encodeURIComponent(groupId)}`, patch);
  }

  mute(groupId: string, body: { user_id?: string; until?: number; all?: boolean }): Promise<GroupInfo> {
    return this.request('POST', `/v1/groups/${encodeURIComponent(groupId)}/mute`, body);
  }

  upload(file: File): Promise<Uploaded> {
    const form = new FormData();
    form.append('file', file, file.name);
    return this.request('POST', '/v1/uploads', form);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function errorText(err: unknown): string {
  if (err instanceof ParleyError) {
    switch (err.code) {
      case 'invalid_credentials': return 'Wrong user ID or password.';
      case 'already_exists': return 'That ID is already taken.';
      case 'registration_disabled': return 'This app does not allow signing up here.';
      case 'recall_expired': return 'Too late to recall this message.';
      case 'muted': return 'You are muted in this group.';
      case 'group_muted': return 'Only admins can send in this group right now.';
      case 'not_member': return 'You are not a member of this conversation.';
      case 'forbidden': return 'You are not allowed to do that.';
      case 'content_too_large': return 'That is too large to send.';
      default: return err.message;
    }
  }
  return err instanceof Error ? err.message : String(err);
}
