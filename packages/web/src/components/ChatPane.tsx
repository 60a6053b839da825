import { store } from '../state/app-state.js';
import { chat } from '../state/session.js';
import { useSelect } from '../state/store.js';
import { ChatHeader } from './ChatHeader.js';
import { Composer } from './Composer.js';
import { MessageList } from './MessageList.js';
import { TypingLine } from './TypingLine.js';

/** The open conversation: header, messages, who is typing, and the composer. */
export function ChatPane({ convId }: { convId: string }) {
  const conv = useSelect(store, (s) => s.convs[convId]);
  if (!conv) return <div class="empty-state"><p class="muted">This conversation is not available.</p></div>;
  return (
    <section class="chat" aria-label={`Chat with ${chat().convName(conv)}`}>
      <ChatHeader conv={conv} />
      <MessageList conv={conv} />
      <TypingLine convId={convId} />
      <Composer conv={conv} />
    </section>
  );
}
