import type { Message } from '@parley/protocol';
import type { ComponentChild } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { errorText } from '../api.js';
import { messageSummary } from '../logic/conversations.js';
import { listTime } from '../logic/time-format.js';
import { store } from '../state/app-state.js';
import { chat } from '../state/session.js';
import { useSelect } from '../state/store.js';
import { Avatar } from './Avatar.js';
import { Dialog } from './Dialog.js';
import { IconSearch } from './Icons.js';

/** Full-text search over my conversations (Chinese works); choosing a hit opens it in its conversation. */
export function SearchDialog({ onClose }: { onClose: () => void }) {
  const c = chat();
  const active = useSelect(store, (s) => s.active);
  const convs = useSelect(store, (s) => s.convs);
  const [q, setQ] = useState('');
  const [here, setHere] = useState(false);
  const [hits, setHits] = useState<Message[]>([]);
  const [state, setState] = useState<'idle' | 'loading' | 'done' | 'error'>('idle');
  const [error, setError] = useState('');

  useEffect(() => {
    const term = q.trim();
    if (!term) { setHits([]); setState('idle'); return; }
    setState('loading');
    let stale = false;
    const t = setTimeout(() => {
      c.client.search(term, { limit: 50, ...(here && active ? { conv_id: active } : {}) }).then(
        (r) => { if (!stale) { setHits(r.hits); setState('done'); c.directory.ensure(r.hits.map((h) => h.sender)); } },
        (err) => { if (!stale) { setError(errorText(err)); setState('error'); } },
      );
    }, 250);
    return () => { stale = true; clearTimeout(t); };
  }, [q, here]);

  const go = (m: Message) => {
    onClose();
    void c.messages.jumpTo(m.conv_id, m.seq);
  };

  return (
    <Dialog title="Search messages" onClose={onClose} wide>
      <label class="search-field">
        <IconSearch />
        <input type="search" value={q} placeholder="Search words or phrases…" aria-label="Search messages" data-autofocus name="search"
          onInput={(e) => setQ(e.currentTarget.value)}
          onKeyDown={(e) => { if (e.key === 'Enter' && hits[0]) { e.preventDefault(); go(hits[0]); } }} />
      </label>
      {active && (
        <label class="check-row small">
          <input type="checkbox" checked={here} onChange={(e) => setHere(e.currentTarget.checked)} /> Only in “{convs[active]?.name}”
        </label>
      )}
      <ul class="search-results" aria-label="Results" aria-busy={state === 'loading'}>
        {hits.map((m) => {
          const conv = convs[m.conv_id];
          return (
            <li key={`${m.conv_id}:${m.seq}`}>
              <button type="button" class="search-hit" onClick={() => go(m)} data-testid="search-hit">
                <Avatar id={m.sender} name={c.directory.name(m.sender)} size={34} />
                <span class="hit-body">
                  <span class="hit-top">
                    <span class="hit-conv">{conv?.name ?? m.conv_id}</span>
                    <span class="hit-time">{listTime(m.created_at, Date.now())}</span>
                  </span>
                  <span class="hit-text"><b>{c.nameOf(m.sender)}:</b> <Highlight text={messageSummary(m, c.nameOf)} term={q.trim()} /></span>
                </span>
              </button>
            </li>
          );
        })}
      </ul>
      <p class="muted small" role="status">
        {state === 'loading' ? 'Searching…' : state === 'done' ? (hits.length ? `${hits.length} result${hits.length > 1 ? 's' : ''}` : 'No messages found.') : state === 'error' ? error : 'Search every conversation you are in.'}
      </p>
    </Dialog>
  );
}

function Highlight({ text, term }: { text: string; term: string }) {
  if (!term) return <>{text}</>;
  const lower = text.toLowerCase();
  const t = term.toLowerCase();
  const parts: ComponentChild[] = [];
  let pos = 0;
  for (let i = lower.indexOf(t); i >= 0; i = lower.indexOf(t, i + t.length)) {
    parts.push(text.slice(pos, i), <mark key={i}>{text.slice(i, i + t.length)}</mark>);
    pos = i + t.length;
  }
  parts.push(text.slice(pos));
  return <>{parts}</>;
}
