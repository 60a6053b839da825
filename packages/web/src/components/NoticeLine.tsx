import { describeNotice } from '../logic/notices.js';
import type { ChatMessage } from '../logic/timeline.js';
import { chat } from '../state/session.js';

/** A server notice (group changes, a recall) or a recalled message, as a centred line in the timeline. */
export function NoticeLine({ msg }: { msg: ChatMessage }) {
  const c = chat();
  const text = msg.type === 'notice' ? describeNotice(msg.content, c.nameOf) : `${c.nameOf(msg.sender)} recalled a message`;
  return (
    <div class={`notice-line${msg.status === 'recalled' ? ' recalled-line' : ''}`} data-seq={msg.seq} tabIndex={-1}>
      <span class={msg.status === 'recalled' ? 'recalled-text' : undefined}>{text}</span>
    </div>
  );
}
