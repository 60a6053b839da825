import { openDialog, store } from '../state/app-state.js';
import { signOut } from '../state/session.js';
import { useSelect } from '../state/store.js';
import { Avatar } from './Avatar.js';
import { ConnectionPill } from './ConnectionPill.js';
import { ConversationList } from './ConversationList.js';
import { IconLogout, IconPlus, IconSearch, IconUsers } from './Icons.js';

/** Who I am, the connection, the actions that start things, and the conversation list. */
export function Sidebar() {
  const creds = useSelect(store, (s) => s.creds);
  if (!creds) return null;
  const me = creds.user;
  return (
    <aside class="sidebar" aria-label="Conversations">
      <header class="me-bar">
        <Avatar id={me.user_id} name={me.name || me.user_id} size={38} />
        <div class="me-text">
          <div class="me-name" data-testid="me-name" title={`${me.user_id} · app ${creds.app_id}`}>{me.name || me.user_id}</div>
          <ConnectionPill />
        </div>
        <button type="button" class="icon-btn" aria-label="Sign out" title="Sign out" onClick={() => void signOut()}><IconLogout /></button>
      </header>
      <div class="side-actions">
        <button type="button" class="search-btn" onClick={() => openDialog({ kind: 'search' })} aria-label="Search messages">
          <IconSearch /> <span>Search messages</span>
        </button>
        <button type="button" class="icon-btn filled" aria-label="New chat" title="New chat" onClick={() => openDialog({ kind: 'new-chat' })}><IconPlus /></button>
        <button type="button" class="icon-btn filled" aria-label="New group" title="New group" onClick={() => openDialog({ kind: 'new-group' })}><IconUsers /></button>
      </div>
      <ConversationList />
    </aside>
  );
}
