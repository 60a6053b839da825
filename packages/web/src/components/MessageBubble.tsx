import type { Conversation, GroupMember } from '@parley/protocol';
import { useState } from 'preact/hooks';
import { deliveryOf, readBy } from '../logic/receipts.js';
import type { Row } from '../logic/rows.js';
import { clockTime, fullTime } from '../logic/time-format.js';
import type { ChatMessage } from '../logic/timeline.js';
import { openDialog, store, toast } from '../state/app-state.js';
import { chat } from '../state/session.js';
import { Avatar } from './Avatar.js';
import { IconAlert, IconCheck, IconChecks, IconClock, IconMore, IconReply } from './Icons.js';
import { Menu, type MenuItem } from './Menu.js';
import { MessageContent } from './MessageContent.js';
import { QuoteBlock } from './QuoteBlock.js';

/** The app's default recall window (app setting recall_window_sec); the server has the last word. */

type MsgRow = Extract<Row, { kind: 'msg' }>;

/**
 * One message: bubble, quote, content, time and delivery state, and its
 * actions (reply, recall, delete). Recalled messages are rendered as notice
 * lines by the list, not here.
 */
export function MessageBubble({ row, conv, members, quoted, highlighted }: {
  row: MsgRow; conv: Conversation; members?: GroupMember[]; quoted?: ChatMessage; highlighted: boolean;
}) {
  const { msg, own, first, last } = row;
  const c = chat();
  const [menu, setMenu] = useState(false);
  const isGroup = conv.conv_type === 'group';
  const stored = msg.local === undefined && msg.seq > 0;
  const myRole = members?.find((m) => m.user_id === c.me)?.role;
  const canRecall = stored && ((own && Date.now() - msg.created_at < store.get().recallWindowMs) || (isGroup && (myRole === 'owner' || myRole === 'admin')));
  const senderName = c.nameOf(msg.sender);

  const reply = () => {
    store.set({ replyTo: { conv_id: conv.conv_id, msg } });
    document.querySelector<HTMLTextAreaElement>('.composer textarea')?.focus();
  };
  const items: MenuItem[] = [];
  if (stored) items.push({ label: 'Reply', run: reply });
  if (msg.type === 'text') {
    items.push({ label: 'Copy text', run: () => void navigator.clipboard?.writeText(String((msg.content as { text?: string }).text ?? '')).then(() => toast('Copied')) });
  }
  if (own && isGroup && stored) items.push({ label: 'Read by…', run: () => openDialog({ kind: 'receipts', conv_id: conv.conv_id, seq: msg.seq }) });
  if (canRecall) items.push({ label: 'Recall', run: () => void c.messages.recall(conv.conv_id, msg.seq), danger: true });
  if (stored) items.push({ label: 'Delete for me', run: () => void c.messages.deleteForMe(conv.conv_id, msg.seq), danger: true });

  const label = `${own ? 'You' : senderName}, ${fullTime(msg.created_at)}`;
  return (
    <div class={`msg-row${own ? ' own' : ''}${first ? ' first' : ''}${last ? ' last' : ''}${highlighted ? ' flash' : ''}`}
      data-seq={msg.seq || undefined} data-cmid={msg.cmid} tabIndex={-1}>
      {!own && (last ? <Avatar id={msg.sender} name={senderName} size={32} /> : <span class="avatar-spacer" />)}
      <div class="msg-col">
        {!own && isGroup && first && <div class="msg-sender">{senderName}</div>}
        <div class="bubble-line">
          <article class={`bubble${msg.type === 'image' ? ' media' : ''}`} aria-label={label} tabIndex={0}
            onKeyDown={(e) => { if (e.key === 'ContextMenu' || (e.key === 'F10' && e.shiftKey)) { e.preventDefault(); setMenu(true); } }}>
            {msg.reply_to !== undefined && (
              <QuoteBlock msg={quoted} onClick={() => void c.messages.jumpTo(conv.conv_id, msg.reply_to!)} />
            )}
            <MessageContent msg={msg} />
          </article>
          {items.length > 0 && (
            <div class="msg-actions">
              {stored && <button type="button" class="icon-btn tiny" aria-label="Reply" title="Reply" onClick={reply}><IconReply /></button>}
              <div class="menu-anchor">
                <button type="button" class="icon-btn tiny" aria-label="Message actions" aria-haspopup="menu" aria-expanded={menu} onClick={() => setMenu(!menu)}><IconMore size={16} /></button>
                {menu && <Menu label="Message actions" items={items} onClose={() => setMenu(false)} align={own ? 'right' : 'left'} />}
              </div>
            </div>
          )}
        </div>
        {(last || msg.local) && <Meta msg={msg} own={own} conv={conv} members={members} />}
      </div>
    </div>
  );
}

function Meta({ msg, own, conv, members }: { msg: ChatMessage; own: boolean; conv: Conversation; members?: GroupMember[] }) {
  const c = chat();
  const time = <time dateTime={new Date(msg.created_at).toISOString()} title={fullTime(msg.created_at)}>{clockTime(msg.created_at)}</time>;
  if (!own) return <div class="msg-meta">{time}</div>;
  const d = deliveryOf(msg, conv);
  if (d === 'failed') {
    return (
      <div class="msg-meta failed" data-state="failed">
        <IconAlert /> <span title={msg.error}>Not sent</span>
        <button type="button" class="link-btn" onClick={() => c.messages.retry(conv.conv_id, msg.cmid)}>Retry</button>
        <button type="button" class="link-btn" onClick={() => c.messages.discard(conv.conv_id, msg.cmid)}>Discard</button>
      </div>
    );
  }
  if (d === 'sending') return <div class="msg-meta" data-state="sending">{time} <span class="tick" aria-label="Sending" title="Sending"><IconClock /></span></div>;
  if (conv.conv_type === 'group') {
    const n = members ? readBy(members, msg.seq, c.me).length : 0;
    return (
      <div class="msg-meta" data-state={n > 0 ? 'read' : 'sent'}>
        {time}
        <button type="button" class={`link-btn read-by${n > 0 ? ' read' : ''}`} data-testid="read-by"
          onClick={() => openDialog({ kind: 'receipts', conv_id: conv.conv_id, seq: msg.seq })}>
          {n > 0 ? `Read by ${n}` : 'Sent'}
        </button>
      </div>
    );
  }
  return (
    <div class="msg-meta" data-state={d}>
      {time}
      <span class={`tick ${d}`} aria-label={d === 'read' ? 'Read' : 'Sent'} title={d === 'read' ? 'Read' : 'Sent'} data-testid="delivery">
        {d === 'read' ? <IconChecks /> : <IconCheck />}
      </span>
      <span class="tick-text">{d === 'read' ? 'Read' : 'Sent'}</span>
    </div>
  );
}
