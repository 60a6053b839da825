import { useMemo } from 'preact/hooks';
import { sortConversations } from '../logic/conversations.js';
import { store } from '../state/app-state.js';
import { useSelect } from '../state/store.js';
import { ConversationItem } from './ConversationItem.js';

/** Pinned first, then by latest activity; arrow keys move between rows. */
export function ConversationList() {
  const convs = useSelect(store, (s) => s.convs);
  const loaded = useSelect(store, (s) => s.convsLoaded);
  const active = useSelect(store, (s) => s.active);
  const list = useMemo(() => sortConversations(Object.values(convs).filter((c) => !c.hidden || c.conv_id === active)), [convs, active]);

  const onKey = (e: KeyboardEvent) => {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    const items = [...(e.currentTarget as HTMLElement).querySelectorAll<HTMLElement>('.conv-item')];
    const i = items.indexOf(document.activeElement as HTMLElement);
    const next = items[e.key === 'ArrowDown' ? Math.min(items.length - 1, i + 1) : Math.max(0, i - 1)];
    if (next) { e.preventDefault(); next.focus(); }
  };

  if (!loaded && list.length === 0) return <div class="conv-empty muted" role="status">Loading conversations…</div>;
  if (list.length === 0) return <div class="conv-empty muted">No conversations yet. Start one with +.</div>;
  return (
    <ul class="conv-list" onKeyDown={onKey} aria-label="Conversation list">
      {list.map((c) => <ConversationItem key={c.conv_id} conv={c} active={c.conv_id === active} />)}
    </ul>
  );
}
