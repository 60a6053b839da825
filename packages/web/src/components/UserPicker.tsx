import type { UserProfile } from '@parley/protocol';
import { useEffect, useState } from 'preact/hooks';
import { errorText } from '../api.js';
import { chat } from '../state/session.js';
import { Avatar } from './Avatar.js';
import { IconClose, IconSearch } from './Icons.js';

/**
 * Find users of the app by id or name. Single mode picks one at once; multi
 * mode toggles a selection shown as removable chips.
 */
export function UserPicker({ multiple, selected = [], onPick, onToggle, exclude = [], label = 'Search people' }: {
  multiple?: boolean; selected?: UserProfile[]; onPick?: (u: UserProfile) => void; onToggle?: (u: UserProfile) => void;
  exclude?: string[]; label?: string;
}) {
  const c = chat();
  const [q, setQ] = useState('');
  const [results, setResults] = useState<UserProfile[]>([]);
  const [state, setState] = useState<'idle' | 'loading' | 'done' | 'error'>('idle');
  const [error, setError] = useState('');

  useEffect(() => {
    const term = q.trim();
    if (!term) { setResults([]); setState('idle'); return; }
    setState('loading');
    let stale = false;
    const t = setTimeout(() => {
      c.api.searchUsers(term).then(
        (r) => { if (!stale) { setResults(r.users); setState('done'); c.directory.remember(r.users); } },
        (err) => { if (!stale) { setError(errorText(err)); setState('error'); } },
      );
    }, 200);
    return () => { stale = true; clearTimeout(t); };
  }, [q]);

  const shown = results.filter((u) => u.user_id !== c.me && !exclude.includes(u.user_id));
  const isSel = (u: UserProfile) => selected.some((s) => s.user_id === u.user_id);
  return (
    <div class="user-picker">
      {multiple && selected.length > 0 && (
        <ul class="chips" aria-label="Selected people">
          {selected.map((u) => (
            <li key={u.user_id} class="chip">
              {u.name || u.user_id}
              <button type="button" class="chip-x" aria-label={`Remove ${u.name || u.user_id}`} onClick={() => onToggle?.(u)}><IconClose size={12} /></button>
            </li>
          ))}
        </ul>
      )}
      <label class="search-field">
        <IconSearch />
        <input type="search" value={q} placeholder="Name or user ID" aria-label={label} data-autofocus
          onInput={(e) => setQ(e.currentTarget.value)}
          onKeyDown={(e) => { if (e.key === 'Enter' && shown[0]) { e.preventDefault(); multiple ? onToggle?.(shown[0]) : onPick?.(shown[0]); } }} />
      </label>
      <ul class="pick-list" aria-label="People" aria-busy={state === 'loading'}>
        {shown.map((u) => (
          <li key={u.user_id}>
            <button type="button" class={`pick-item${isSel(u) ? ' selected' : ''}`} aria-pressed={multiple ? isSel(u) : undefined}
              onClick={() => (multiple ? onToggle?.(u) : onPick?.(u))}>
              <Avatar id={u.user_id} name={u.name || u.user_id} size={34} />
              <span class="pick-text"><span class="pick-name">{u.name || u.user_id}</span><span class="pick-id">@{u.user_id}</span></span>
              {multiple && <span class="check" aria-hidden="true">{isSel(u) ? '✓' : ''}</span>}
            </button>
          </li>
        ))}
      </ul>
      {state === 'done' && shown.length === 0 && <p class="muted small">Nobody found for “{q.trim()}”.</p>}
      {state === 'error' && <p class="form-error small">{error}</p>}
      {state === 'idle' && <p class="muted small">Type a name or user ID.</p>}
    </div>
  );
}
