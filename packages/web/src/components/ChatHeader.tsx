import type { Conversation } from '@parley/protocol';
import { useState } from 'preact/hooks';
import { openDialog, store } from '../state/app-state.js';
import { chat } from '../state/session.js';
import { useSelect } from '../state/store.js';
import { Avatar } from './Avatar.js';
import { IconBack, IconBellOff, IconMore, IconPin, IconUsers } from './Icons.js';
import { Menu } from './Menu.js';

/** Name, presence or member count, and the conversation's settings (pin, mute, group info). */
export function ChatHeader({ conv }: { conv: Conversation }) {
  const connected = useSelect(store, (s) => s.conn === 'open');
  // Presence is only known while connected; offline, the last known state would be a guess.
  const online = useSelect(store, (s) => (conv.conv_type === 'single' && s.conn === 'open' ? s.online[conv.peer] ?? false : undefined));
  const group = useSelect(store, (s) => (conv.conv_type === 'group' ? s.groups[conv.peer] : undefined));
  const [menu, setMenu] = useState(false);
  const c = chat();
  const sub = conv.conv_type === 'group'
    ? group ? `${group.info.member_count} members${group.info.muted_all ? ' · only admins can send' : ''}` : 'Group'
    : !connected ? 'Waiting for connection…' : online ? 'Online' : 'Offline';
  const back = () => store.set({ active: null });
  const name = c.convName(conv);
  useSelect(store, (s) => s.users);
  return (
    <header class="chat-head">
      <button type="button" class="icon-btn back-btn" aria-label="Back to conversations" onClick={back}><IconBack /></button>
      <Avatar id={conv.peer || conv.conv_id} name={name} size={38} online={online} group={conv.conv_type === 'group'} />
      <div class="chat-title">
        <h2 data-testid="chat-title">{name}</h2>
        <div class={`chat-sub${online ? ' online' : ''}`} data-testid="chat-presence">{sub}</div>
      </div>
      {conv.pinned && <span class="conv-flag" title="Pinned" aria-label="Pinned"><IconPin /></span>}
      {conv.muted && <span class="conv-flag" title="Muted" aria-label="Muted"><IconBellOff /></span>}
      {conv.conv_type === 'group' && (
        <button type="button" class="icon-btn" aria-label="Group info" title="Group info" onClick={() => openDialog({ kind: 'group', group_id: conv.peer })}><IconUsers /></button>
      )}
      <div class="menu-anchor">
        <button type="button" class="icon-btn" aria-label="Conversation options" aria-haspopup="menu" aria-expanded={menu} onClick={() => setMenu(!menu)}><IconMore /></button>
        {menu && (
          <Menu label="Conversation options" onClose={() => setMenu(false)} items={[
            { label: conv.pinned ? 'Unpin' : 'Pin to top', run: () => void c.setConvFlags(conv.conv_id, { pinned: !conv.pinned }) },
            { label: conv.muted ? 'Unmute notifications' : 'Mute notifications', run: () => void c.setConvFlags(conv.conv_id, { muted: !conv.muted }) },
            { label: 'Search messages', run: () => openDialog({ kind: 'search' }) },
            ...(conv.conv_type === 'group' ? [{ label: 'Group info', run: () => openDialog({ kind: 'group', group_id: conv.peer }) }] : []),
          ]} />
        )}
      </div>
    </header>
  );
}
