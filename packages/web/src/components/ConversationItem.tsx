import type { Conversation } from '@parley/protocol';
import { previewText } from '../logic/conversations.js';
import { mentionsUser } from '../logic/mentions.js';
import { listTime } from '../logic/time-format.js';
import { badgeText } from '../logic/unread.js';
import { store } from '../state/app-state.js';
import { chat } from '../state/session.js';
import { useSelect } from '../state/store.js';
import { Avatar } from './Avatar.js';
import { IconBellOff, IconPin } from './Icons.js';

/** One row: avatar (with presence for single chats), name, time, preview, unread badge, pinned/muted marks. */
export function ConversationItem({ conv, active }: { conv: Conversation; active: boolean }) {
  const online = useSelect(store, (s) => (conv.conv_type === 'single' && s.conn === 'open' ? s.online[conv.peer] ?? false : undefined));
  const typing = useSelect(store, (s) => s.typing[conv.conv_id]);
  useSelect(store, (s) => s.users); // names in previews
  const c = chat();
  const typers = typing ? Object.keys(typing).filter((u) => typing[u]! > Date.now()) : [];
  const last = conv.last_message;
  const mentioned = conv.unread > 0 && last && last.sender !== c.me && mentionsUser(last.mentions, c.me);
  const time = last?.created_at ?? conv.updated_at;
  const name = c.convName(conv);
  const label = `${name}${conv.unread > 0 ? `, ${conv.unread} unread` : ''}${conv.pinned ? ', pinned' : ''}${conv.muted ? ', muted' : ''}`;
  return (
    <li>
      <button type="button" class={`conv-item${active ? ' active' : ''}${conv.unread > 0 ? ' has-unread' : ''}`}
        aria-current={active ? 'true' : undefined} aria-label={label} data-conv={conv.conv_id}
        onClick={() => void c.messages.open(conv.conv_id)}>
        <Avatar id={conv.peer || conv.conv_id} name={name} online={online} group={conv.conv_type === 'group'} />
        <span class="conv-body">
          <span class="conv-top">
            <span class="conv-name">{name}</span>
            {conv.pinned && <span class="conv-flag" title="Pinned"><IconPin /></span>}
            {conv.muted && <span class="conv-flag" title="Muted"><IconBellOff /></span>}
            <span class="conv-time">{time ? listTime(time, Date.now()) : ''}</span>
          </span>
          <span class="conv-bottom">
            <span class="conv-preview">
              {typers.length > 0 ? <em class="typing-text">typing…</em> : <>
                {mentioned && <span class="mention-flag">[@you] </span>}
                {previewText(conv, c.me, c.nameOf)}
              </>}
            </span>
            {conv.unread > 0 && <span class={`badge${conv.muted ? ' muted' : ''}`} data-testid="unread-badge">{badgeText(conv.unread)}</span>}
          </span>
        </span>
      </button>
    </li>
  );
}
