import type { GroupMember } from '@parley/protocol';
import { useState } from 'preact/hooks';
import { store } from '../state/app-state.js';
import { chat } from '../state/session.js';
import { useSelect } from '../state/store.js';
import { Avatar } from './Avatar.js';
import { IconMore } from './Icons.js';
import { Menu, type MenuItem } from './Menu.js';

const ROLE_ORDER = { owner: 0, admin: 1, member: 2 } as const;

/** Members with role, presence and mute state; owners and admins get remove/mute actions. */
export function GroupMembers({ groupId, members, owner, manager }: { groupId: string; members: GroupMember[]; owner: string; manager: boolean }) {
  const online = useSelect(store, (s) => s.online);
  const meOnline = useSelect(store, (s) => s.conn === 'open');
  useSelect(store, (s) => s.users);
  const sorted = [...members].sort((a, b) => ROLE_ORDER[a.role] - ROLE_ORDER[b.role] || a.user_id.localeCompare(b.user_id));
  return (
    <ul class="member-list" aria-label="Members">
      {sorted.map((m) => <MemberRow key={m.user_id} groupId={groupId} m={m} online={m.user_id === chat().me ? meOnline : online[m.user_id] ?? false} canManage={manager && m.user_id !== owner} />)}
    </ul>
  );
}

function MemberRow({ groupId, m, online, canManage }: { groupId: string; m: GroupMember; online: boolean; canManage: boolean }) {
  const c = chat();
  const [menu, setMenu] = useState(false);
  const me = m.user_id === c.me;
  const name = me ? `${c.directory.name(m.user_id)} (you)` : c.directory.name(m.user_id);
  const muted = m.muted_until > Date.now();
  const items: MenuItem[] = [
    muted ? { label: 'Unmute', run: () => void c.groups.muteMember(groupId, m.user_id, 0) }
      : { label: 'Mute for 10 minutes', run: () => void c.groups.muteMember(groupId, m.user_id, 10) },
    { label: 'Remove from group', run: () => void c.groups.removeMember(groupId, m.user_id), danger: true },
  ];
  return (
    <li class="member">
      <Avatar id={m.user_id} name={c.directory.name(m.user_id)} size={32} online={online} />
      <span class="member-text">
        <span class="member-name">{name}</span>
        <span class="member-sub">@{m.user_id}{muted ? ' · muted' : ''}{online ? ' · online' : ''}</span>
      </span>
      {m.role !== 'member' && <span class={`role role-${m.role}`}>{m.role}</span>}
      {canManage && !me && (
        <div class="menu-anchor">
          <button type="button" class="icon-btn tiny" aria-label={`Actions for ${name}`} aria-haspopup="menu" aria-expanded={menu} onClick={() => setMenu(!menu)}><IconMore size={16} /></button>
          {menu && <Menu label={`Actions for ${name}`} items={items} onClose={() => setMenu(false)} />}
        </div>
      )}
    </li>
  );
}
