import type { NoticeContent } from '@parley/protocol';

/** Human text for server-written notices; `nameOf` turns user ids into display names ("You" for me). */
export type NameOf = (userId: string) => string;

function list(ids: string[], nameOf: NameOf): string {
  const names = ids.map(nameOf);
  if (names.length <= 3) return names.join(', ');
  return `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`;
}

export function describeNotice(content: unknown, nameOf: NameOf): string {
  const c = content as NoticeContent | null;
  if (!c || typeof c !== 'object' || !('kind' in c)) return 'Notice';
  switch (c.kind) {
    case 'recall': return `${nameOf(c.by)} recalled a message`;
    case 'edit': return `${nameOf(c.by)} edited a message`;
    case 'group_created': return `${nameOf(c.by)} created the group “${c.name}”`;
    case 'members_added': return `${nameOf(c.by)} added ${list(c.users, nameOf)}`;
    case 'member_removed': return `${nameOf(c.by)} removed ${nameOf(c.user)}`;
    case 'member_left': return `${nameOf(c.user)} left the group`;
    case 'group_dismissed': return `${nameOf(c.by)} dismissed the group`;
    case 'group_renamed': return `${nameOf(c.by)} renamed the group to “${c.name}”`;
    case 'group_notice': return c.notice ? `${nameOf(c.by)} updated the group notice` : `${nameOf(c.by)} cleared the group notice`;
    case 'role_changed': return `${nameOf(c.by)} made ${nameOf(c.user)} ${c.role === 'admin' ? 'an admin' : c.role === 'owner' ? 'the owner' : 'a member'}`;
    case 'member_muted': return c.until > Date.now() ? `${nameOf(c.by)} muted ${nameOf(c.user)}` : `${nameOf(c.by)} unmuted ${nameOf(c.user)}`;
    case 'group_muted': return c.muted ? `${nameOf(c.by)} muted the group: only admins can send` : `${nameOf(c.by)} unmuted the group`;
    case 'system': return c.text;
    default: return 'Notice';
  }
}

/** Notices after which the group's info or member list should be fetched again. */
export function changesGroup(content: unknown): boolean {
  const kind = (content as { kind?: string } | null)?.kind;
  return kind !== undefined && kind !== 'recall' && kind !== 'edit' && kind !== 'system';
}

/** User ids a notice names, so their display names can be fetched. */
export function noticeUsers(content: unknown): string[] {
  const c = content as { by?: unknown; user?: unknown; users?: unknown } | null;
  if (!c || typeof c !== 'object') return [];
  const ids: string[] = [];
  if (typeof c.by === 'string') ids.push(c.by);
  if (typeof c.user === 'string') ids.push(c.user);
  if (Array.isArray(c.users)) for (const u of c.users) if (typeof u === 'string') ids.push(u);
  return ids;
}
