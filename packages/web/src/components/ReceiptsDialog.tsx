import type { ReceiptsResult } from '@parley/protocol';
import { useEffect, useState } from 'preact/hooks';
import { errorText } from '../api.js';
import { store } from '../state/app-state.js';
import { chat } from '../state/session.js';
import { useSelect } from '../state/store.js';
import { Avatar } from './Avatar.js';
import { Dialog } from './Dialog.js';

/** Who has read one of my group messages, and who has not yet. */
export function ReceiptsDialog({ convId, seq, onClose }: { convId: string; seq: number; onClose: () => void }) {
  const c = chat();
  const conv = useSelect(store, (s) => s.convs[convId]);
  const group = useSelect(store, (s) => (conv?.conv_type === 'group' ? s.groups[conv.peer] : undefined));
  useSelect(store, (s) => s.users);
  const [r, setR] = useState<ReceiptsResult | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    c.client.receipts(convId, seq).then((x) => { setR(x); c.directory.ensure(x.read_by); }, (err) => setError(errorText(err)));
  }, [convId, seq]);
  // Members who joined after the message never saw it: they are neither readers nor waiting to read.
  const joinedLater = new Set((group?.members ?? []).filter((m) => m.joined_seq > seq).map((m) => m.user_id));
  const readers = (r?.read_by ?? []).filter((u) => u !== c.me && !joinedLater.has(u));
  const unread = (group?.members ?? []).map((m) => m.user_id).filter((u) => u !== c.me && !joinedLater.has(u) && !readers.includes(u));
  return (
    <Dialog title="Read receipts" onClose={onClose}>
      {error && <p class="form-error">{error}</p>}
      {!r && !error && <p class="muted" role="status">Loading…</p>}
      {r && (
        <div class="receipts" data-testid="receipts">
          <h3 class="group-label">Read by {readers.length}</h3>
          <ul class="member-list">{readers.map((u) => <Person key={u} id={u} />)}</ul>
          {unread.length > 0 && <>
            <h3 class="group-label">Not read yet ({unread.length})</h3>
            <ul class="member-list">{unread.map((u) => <Person key={u} id={u} />)}</ul>
          </>}
        </div>
      )}
    </Dialog>
  );
}

function Person({ id }: { id: string }) {
  const name = chat().directory.name(id);
  return <li class="member"><Avatar id={id} name={name} size={28} /><span class="member-name">{name}</span></li>;
}
