import { avatarColor, initials } from '../logic/avatar.js';

/** Initials on a colour derived from the id; an optional presence dot. */
export function Avatar({ id, name, size = 40, online, group }: { id: string; name: string; size?: number; online?: boolean; group?: boolean }) {
  return (
    <span class={`avatar${group ? ' avatar-group' : ''}`} style={{ width: `${size}px`, height: `${size}px`, background: avatarColor(id), fontSize: `${Math.round(size * 0.4)}px` }} aria-hidden="true">
      {initials(name)}
      {online !== undefined && <span class={`presence-dot${online ? ' on' : ''}`} />}
    </span>
  );
}
