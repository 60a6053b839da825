import { messageSummary } from '../logic/conversations.js';
import type { ChatMessage } from '../logic/timeline.js';
import { chat } from '../state/session.js';

/** The quoted message above a reply (or above the composer while replying). */
export function QuoteBlock({ msg, onClick }: { msg: ChatMessage | undefined; onClick?: () => void }) {
  const c = chat();
  const body = msg ? (
    <>
      <span class="quote-name">{c.nameOf(msg.sender)}</span>
      <span class="quote-text">{messageSummary(msg, c.nameOf)}</span>
    </>
  ) : <span class="quote-text">Earlier message</span>;
  return onClick
    ? <button type="button" class="quote" onClick={onClick} aria-label="Go to the quoted message">{body}</button>
    : <div class="quote">{body}</div>;
}
