import { store } from '../state/app-state.js';
import { useSelect } from '../state/store.js';
import { ChatShell } from './ChatShell.js';
import { LoginView } from './LoginView.js';
import { Toasts } from './Toasts.js';

/** Signed out → the sign-in form; signed in → the chat. */
export function App() {
  const booting = useSelect(store, (s) => s.booting);
  const creds = useSelect(store, (s) => s.creds);
  return (
    <>
      {booting ? <div class="splash" role="status">Loading Parley…</div> : creds ? <ChatShell /> : <LoginView />}
      <Toasts />
    </>
  );
}
