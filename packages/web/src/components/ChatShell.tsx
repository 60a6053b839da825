import { useEffect } from 'preact/hooks';
import { titleFor, totalUnread } from '../logic/unread.js';
import { store } from '../state/app-state.js';
import { reclaim } from '../state/session.js';
import { useSelect } from '../state/store.js';
import { ChatPane } from './ChatPane.js';
import { Dialogs } from './Dialogs.js';
import { IconChat } from './Icons.js';
import { Sidebar } from './Sidebar.js';

/**
 * Two panes: conversations and the open chat. On a phone-width screen only
 * one shows at a time (the chat has a back button). The tab title carries
 * the total unread count.
 */
export function ChatShell() {
  const active = useSelect(store, (s) => s.active);
  const convs = useSelect(store, (s) => s.convs);
  const kicked = useSelect(store, (s) => s.kicked);
  const total = totalUnread(Object.values(convs));

  useEffect(() => {
    document.title = titleFor(total);
  }, [total]);
  useEffect(() => () => void (document.title = 'Parley'), []);

  return (
    <div class={`shell${active ? ' has-active' : ''}`}>
      {kicked && (
        <div class="banner" role="alert">
          Parley was opened in another tab or window, so this one stopped receiving messages.
          <button type="button" class="primary-btn small" onClick={reclaim}>Use here</button>
        </div>
      )}
      <Sidebar />
      <main class="main-pane" aria-label="Conversation">
        {active ? <ChatPane key={active} convId={active} /> : (
          <div class="empty-state">
            <span class="empty-icon" aria-hidden="true"><IconChat size={36} /></span>
            <h2>Pick a conversation</h2>
            <p class="muted">Or start a new one with the + button.</p>
          </div>
        )}
      </main>
      <Dialogs />
    </div>
  );
}
