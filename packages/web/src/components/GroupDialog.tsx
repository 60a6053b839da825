import type { UserProfile } from '@parley/protocol';
import { useEffect, useState } from 'preact/hooks';
import { store } from '../state/app-state.js';
import { chat } from '../state/session.js';
import { useSelect } from '../state/store.js';
import { Dialog } from './Dialog.js';
import { GroupMembers } from './GroupMembers.js';
import { UserPicker } from './UserPicker.js';

/** Group info: name and notice (editable by owner/admins), members, adding people, mute-all, leaving. */
export function GroupDialog({ groupId, onClose }: { groupId: string; onClose: () => void }) {
  const c = chat();
  const g = useSelect(store, (s) => s.groups[groupId]);
  const [editing, setEditing] = useState<'name' | 'notice' | null>(null);
  const [draft, setDraft] = useState('');
  const [adding, setAdding] = useState<UserProfile[] | null>(null);
  const [confirmLeave, setConfirmLeave] = useState(false);
  // Shown at once when toggled; the server's answer (and the group's notice) confirms it.
  const [mutedAll, setMutedAll] = useState<boolean | null>(null);
  useEffect(() => void c.groups.load(groupId), [groupId]);
  useEffect(() => setMutedAll(null), [g?.info.muted_all]);

  if (!g) return <Dialog title="Group" onClose={onClose}><p class="muted" role="status">Loading…</p></Dialog>;
  const { info, members } = g;
  const myRole = members.find((m) => m.user_id === c.me)?.role ?? 'member';
  const manager = myRole === 'owner' || myRole === 'admin';

  const save = async (e: Event) => {
    e.preventDefault();
    if (!editing) return;
    const ok = await c.groups.update(groupId, editing === 'name' ? { name: draft.trim() } : { notice: draft.trim() });
    if (ok) setEditing(null);
  };
  const toggleAdd = (u: UserProfile) => setAdding((a) => {
    const list = a ?? [];
    return list.some((x) => x.user_id === u.user_id) ? list.filter((x) => x.user_id !== u.user_id) : [...list, u];
  });

  return (
    <Dialog title="Group info" onClose={onClose} wide>
      <section class="group-section">
        {editing ? (
          <form class="stack" onSubmit={save}>
            <label class="field">
              <span>{editing === 'name' ? 'Group name' : 'Group notice'}</span>
              {editing === 'name'
                ? <input value={draft} required maxLength={100} data-autofocus name="group_name" onInput={(e) => setDraft(e.currentTarget.value)} ref={(el) => el?.focus()} />
                : <textarea value={draft} rows={3} maxLength={2000} name="group_notice" onInput={(e) => setDraft(e.currentTarget.value)} ref={(el) => el?.focus()} />}
            </label>
            <div class="dialog-actions">
              <button type="button" class="ghost-btn" onClick={() => setEditing(null)}>Cancel</button>
              <button type="submit" class="primary-btn">Save</button>
            </div>
          </form>
        ) : (
          <>
            <div class="group-name-row">
              <h3 data-testid="group-name">{info.name}</h3>
              {manager && <button type="button" class="link-btn" onClick={() => { setDraft(info.name); setEditing('name'); }}>Rename</button>}
            </div>
            <div class="group-notice">
              <div class="group-label">Notice {manager && <button type="button" class="link-btn" onClick={() => { setDraft(info.notice); setEditing('notice'); }}>Edit</button>}</div>
              <p data-testid="group-notice">{info.notice || <span class="muted">No notice.</span>}</p>
            </div>
          </>
        )}
      </section>

      <section class="group-section">
        <div class="group-label">
          {info.member_count} members
          {manager && adding === null && <button type="button" class="link-btn" onClick={() => setAdding([])}>Add people</button>}
        </div>
        {adding !== null && (
          <div class="add-box">
            <UserPicker multiple selected={adding} onToggle={toggleAdd} exclude={members.map((m) => m.user_id)} label="Search people to add" />
            <div class="dialog-actions">
              <button type="button" class="ghost-btn" onClick={() => setAdding(null)}>Cancel</button>
              <button type="button" class="primary-btn" disabled={adding.length === 0}
                onClick={async () => { if (await c.groups.addMembers(groupId, adding.map((u) => u.user_id))) setAdding(null); }}>
                Add {adding.length || ''}
              </button>
            </div>
          </div>
        )}
        <GroupMembers groupId={groupId} members={members} owner={info.owner} manager={manager} />
      </section>

      <section class="group-section group-footer">
        {manager && (
          <label class="switch">
            <input type="checkbox" checked={mutedAll ?? info.muted_all} onChange={async (e) => {
              const want = e.currentTarget.checked;
              setMutedAll(want);
              if (!(await c.groups.muteAll(groupId, want))) setMutedAll(null);
            }} />
            <span>Mute group (only admins can send)</span>
          </label>
        )}
        {confirmLeave ? (
          <div class="confirm-row" role="alert">
            Leave “{info.name}”?
            <button type="button" class="ghost-btn" onClick={() => setConfirmLeave(false)}>Stay</button>
            <button type="button" class="danger-btn" onClick={() => void c.groups.leave(groupId)}>Leave</button>
          </div>
        ) : (
          <button type="button" class="danger-btn" onClick={() => setConfirmLeave(true)}>Leave group</button>
        )}
      </section>
    </Dialog>
  );
}
