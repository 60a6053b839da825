import { useState } from 'preact/hooks';
import { errorText } from '../api.js';
import { signIn } from '../state/session.js';

/**
 * Password sign-in (and sign-up, where the app allows it). Business
 * backends embed the client with a token instead: /?token=…&app=….
 */
export function LoginView() {
  const [mode, setMode] = useState<'login' | 'register'>('login');
  const [appId, setAppId] = useState(() => new URLSearchParams(location.search).get('app') ?? 'default');
  const [userId, setUserId] = useState('');
  const [password, setPassword] = useState('');
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [advanced, setAdvanced] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      await signIn(appId.trim() || 'default', userId.trim(), password, mode === 'register' ? { name: name.trim() || undefined } : undefined);
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };

  return (
    <main class="login">
      <form class="login-card" onSubmit={submit} aria-labelledby="login-title">
        <div class="brand"><span class="brand-mark" aria-hidden="true">P</span> Parley</div>
        <h1 id="login-title">{mode === 'login' ? 'Sign in' : 'Create an account'}</h1>
        <label class="field">
          <span>User ID</span>
          <input name="user_id" autocomplete="username" required pattern="[A-Za-z0-9_.\-]{1,64}" value={userId}
            onInput={(e) => setUserId(e.currentTarget.value)} autoFocus />
        </label>
        {mode === 'register' && (
          <label class="field">
            <span>Display name</span>
            <input name="name" autocomplete="nickname" value={name} onInput={(e) => setName(e.currentTarget.value)} />
          </label>
        )}
        <label class="field">
          <span>Password</span>
          <input name="password" type="password" autocomplete={mode === 'login' ? 'current-password' : 'new-password'} required
            minLength={mode === 'register' ? 6 : 1} value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </label>
        {advanced ? (
          <label class="field">
            <span>App ID</span>
            <input name="app_id" value={appId} onInput={(e) => setAppId(e.currentTarget.value)} />
          </label>
        ) : (
          <button type="button" class="link-btn small" onClick={() => setAdvanced(true)}>App: {appId} · change</button>
        )}
        {error && <p class="form-error" role="alert">{error}</p>}
        <button type="submit" class="primary-btn wide" disabled={busy}>{busy ? 'Please wait…' : mode === 'login' ? 'Sign in' : 'Sign up'}</button>
        <p class="muted center">
          {mode === 'login' ? 'New here? ' : 'Have an account? '}
          <button type="button" class="link-btn" onClick={() => { setMode(mode === 'login' ? 'register' : 'login'); setError(''); }}>
            {mode === 'login' ? 'Create an account' : 'Sign in'}
          </button>
        </p>
      </form>
    </main>
  );
}
