import type { UserProfile } from '@parley/protocol';
import type { Credentials } from './app-state.js';

/**
 * Where a session comes from and where it is kept. The token lives in
 * localStorage (the web client keeps nothing else: all data reloads from the
 * server). A business backend can embed the client with
 * `/?token=<user token>&app=<app id>`; the token is then taken from the URL,
 * stored, and removed from the address bar.
 */
const KEY = 'parley.session';

export function loadCredentials(): Credentials | null {
  try {
    const c = JSON.parse(localStorage.getItem(KEY) ?? 'null') as Credentials | null;
    return c && typeof c.token === 'string' && typeof c.app_id === 'string' && c.user?.user_id ? c : null;
  } catch {
    return null;
  }
}

export function saveCredentials(c: Credentials): void {
  localStorage.setItem(KEY, JSON.stringify(c));
}

export function clearCredentials(): void {
  localStorage.removeItem(KEY);
}

/** Claims of a JWT, unverified (the server verifies; this only reads the app id and expiry). */
export function tokenClaims(token: string): { app?: string; sub?: string; exp?: number } {
  try {
    const part = token.split('.')[1] ?? '';
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '='));
    return JSON.parse(json) as { app?: string; sub?: string; exp?: number };
  } catch {
    return {};
  }
}

export function tokenExpired(token: string, now = Date.now()): boolean {
  const exp = tokenClaims(token).exp;
  return typeof exp === 'number' && exp * 1000 <= now;
}

/** `?token=&app=` from the address bar, removed from it (and from history) once read. */
export function takeUrlToken(): { token: string; app_id?: string } | null {
  const url = new URL(location.href);
  const token = url.searchParams.get('token');
  if (!token) return null;
  const app = url.searchParams.get('app') ?? undefined;
  url.searchParams.delete('token');
  url.searchParams.delete('app');
  history.replaceState(null, '', url.pathname + (url.search === '?' ? '' : url.search) + url.hash);
  return { token, app_id: app };
}

export function credentialsFrom(token: string, user: UserProfile, app_id?: string): Credentials {
  return { token, user, app_id: app_id ?? tokenClaims(token).app ?? 'default' };
}
