import { Api, type Session } from '../api.js';
import { initialState, store, toast, type Credentials } from './app-state.js';
import { ChatController } from './chat.js';
import { clearCredentials, credentialsFrom, loadCredentials, saveCredentials, takeUrlToken, tokenExpired } from './credentials.js';

/**
 * Signing in and out. At most one ChatController runs; components reach it
 * through `chat()`. A refresh runs `boot()` again: the token from
 * localStorage (or the URL) is checked and everything reloads from the server.
 */
let current: ChatController | null = null;
const anonymous = new Api('', () => undefined);

export function chat(): ChatController {
  if (!current) throw new Error('not signed in');
  return current;
}

export function signedIn(): boolean {
  return current !== null;
}

function start(creds: Credentials): void {
  saveCredentials(creds);
  store.set({ ...initialState, booting: false, creds, conn: 'connecting' });
  current = new ChatController(creds, { ended: (why) => void end(why) });
  current.start();
  new Api('', () => creds.token).appInfo().then(
    (info) => store.set({ recallWindowMs: info.recall_window_sec * 1000 }),
    () => {}, // keep the default; a refused recall still shows the server's answer
  );
}

async function end(message?: string): Promise<void> {
  const c = current;
  current = null;
  clearCredentials();
  store.set({ ...initialState, booting: false });
  if (message) toast(message, 'error');
  await c?.stop();
}

export async function boot(): Promise<void> {
  const fromUrl = takeUrlToken();
  if (fromUrl) {
    if (tokenExpired(fromUrl.token)) return void store.set({ booting: false });
    try {
      const user = await new Api('', () => fromUrl.token).me();
      return start(credentialsFrom(fromUrl.token, user, fromUrl.app_id));
    } catch {
      store.set({ booting: false });
      return toast('The sign-in link is invalid or has expired.', 'error');
    }
  }
  const saved = loadCredentials();
  if (!saved || tokenExpired(saved.token)) {
    if (saved) clearCredentials();
    return void store.set({ booting: false });
  }
  // Start at once with what was stored (works offline); refresh the profile in the background.
  start(saved);
  new Api('', () => saved.token).me().then(
    (user) => {
      if (current?.creds !== saved) return;
      saveCredentials({ ...saved, user });
      store.set((s) => ({ creds: { ...saved, user }, users: { ...s.users, [user.user_id]: user } }));
    },
    () => undefined, // a revoked token ends the session through the connection's auth failure
  );
}

export async function signIn(appId: string, userId: string, password: string, register?: { name?: string }): Promise<void> {
  const s: Session = register
    ? await anonymous.register(appId, userId, password, register.name)
    : await anonymous.login(appId, userId, password);
  start(credentialsFrom(s.token, s.user, appId));
}

/** Sign out everywhere: the server revokes this user's tokens (after this tab has let go of its connection). */
export async function signOut(): Promise<void> {
  const c = current;
  await end();
  if (c) await c.api.logout().catch(() => undefined);
}

/** After another tab took over the session: take it back. */
export function reclaim(): void {
  const creds = current?.creds ?? loadCredentials();
  const old = current;
  current = null;
  void old?.stop().finally(() => {
    if (creds) start(creds);
  });
  if (!old && creds) start(creds);
}
