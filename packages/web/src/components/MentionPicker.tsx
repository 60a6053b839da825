import type { MentionCandidate } from '../logic/mentions.js';
import { Avatar } from './Avatar.js';

/** Members matching "@…" in the composer; the composer owns the keyboard (arrows, Enter, Tab, Escape). */
export function MentionPicker({ items, index, onPick, onHover }: {
  items: MentionCandidate[]; index: number; onPick: (c: MentionCandidate) => void; onHover: (i: number) => void;
}) {
  return (
    <ul class="mention-picker" id="mention-picker" role="listbox" aria-label="Mention a member">
      {items.map((c, i) => (
        <li key={c.user_id} role="option" aria-selected={i === index} class={i === index ? 'selected' : ''}
          onMouseDown={(e) => { e.preventDefault(); onPick(c); }} onMouseEnter={() => onHover(i)}>
          {c.user_id === 'all' ? <span class="avatar all" aria-hidden="true">@</span> : <Avatar id={c.user_id} name={c.name} size={26} />}
          <span class="mp-name">{c.user_id === 'all' ? 'Everyone' : c.name}</span>
          <span class="mp-id">@{c.user_id === 'all' ? 'all' : c.user_id}</span>
        </li>
      ))}
    </ul>
  );
}
