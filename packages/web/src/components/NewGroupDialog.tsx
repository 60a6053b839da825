import type { UserProfile } from '@parley/protocol';
import { useState } from 'preact/hooks';
import { chat } from '../state/session.js';
import { Dialog } from './Dialog.js';
import { UserPicker } from './UserPicker.js';

/** Name a group, pick its members, optionally write a notice; I become the owner. */
export function NewGroupDialog({ onClose }: { onClose: () => void }) {
  const c = chat();
  const [name, setName] = useState('');
  const [notice, setNotice] = useState('');
  const [members, setMembers] = useState<UserProfile[]>([]);
  const [busy, setBusy] = useState(false);
  const toggle = (u: UserProfile) =>
    setMembers((m) => (m.some((x) => x.user_id === u.user_id) ? m.filter((x) => x.user_id !== u.user_id) : [...m, u]));
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!name.trim()) return;
    setBusy(true);
    const convId = await c.groups.create(name.trim(), members.map((m) => m.user_id), notice.trim() || undefined);
    setBusy(false);
    if (convId) {
      onClose();
      void c.messages.open(convId);
    }
  };
  return (
    <Dialog title="New group" onClose={onClose}>
      <form class="stack" onSubmit={submit}>
        <label class="field">
          <span>Group name</span>
          <input value={name} required maxLength={100} data-autofocus name="group_name" onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <label class="field">
          <span>Notice <span class="muted">(optional)</span></span>
          <textarea rows={2} maxLength={2000} value={notice} name="group_notice" onInput={(e) => setNotice(e.currentTarget.value)} />
        </label>
        <div class="field">
          <span>Members</span>
          <UserPicker multiple selected={members} onToggle={toggle} label="Search people to add" />
        </div>
        <div class="dialog-actions">
          <button type="button" class="ghost-btn" onClick={onClose}>Cancel</button>
          <button type="submit" class="primary-btn" disabled={busy || !name.trim()}>
            {busy ? 'Creating…' : `Create group${members.length ? ` (${members.length + 1})` : ''}`}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
