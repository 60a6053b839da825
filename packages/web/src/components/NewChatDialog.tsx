import type { Conversation, UserProfile } from '@parley/protocol';
import { singleConvId } from '@parley/protocol';
import { store } from '../state/app-state.js';
import { chat } from '../state/session.js';
import { withEntry } from '../state/store.js';
import { Dialog } from './Dialog.js';
import { UserPicker } from './UserPicker.js';

/** Start (or go to) a single chat with someone found by search. */
export function NewChatDialog({ onClose }: { onClose: () => void }) {
  const c = chat();
  const start = (u: UserProfile) => {
    const convId = singleConvId(c.me, u.user_id);
    if (!c.conv(convId)) {
      const conv: Conversation = {
        conv_id: convId, conv_type: 'single', peer: u.user_id, name: u.name || u.user_id, last_seq: 0, read_seq: 0, unread: 0,
        pinned: false, muted: false, hidden: false, updated_at: Date.now(),
      };
      store.set((s) => ({ convs: withEntry(s.convs, convId, conv) }));
    }
    onClose();
    void c.messages.open(convId);
  };
  return (
    <Dialog title="New chat" onClose={onClose}>
      <UserPicker onPick={start} label="Search people to chat with" />
    </Dialog>
  );
}
