import type { Conversation } from '@parley/protocol';
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { buildRows } from '../logic/rows.js';
import { EMPTY_TIMELINE, type ChatMessage } from '../logic/timeline.js';
import { store } from '../state/app-state.js';
import { chat } from '../state/session.js';
import { useSelect } from '../state/store.js';
import { IconDown } from './Icons.js';
import { MessageBubble } from './MessageBubble.js';
import { NoticeLine } from './NoticeLine.js';

/**
 * The scrolling history. It sticks to the bottom while the reader is there,
 * loads older pages when scrolled near the top (keeping the view where it
 * was), newer pages near the bottom after a jump, and scrolls a highlighted
 * message (search hit, quote) into view.
 */
const EDGE = 160;

export function MessageList({ conv }: { conv: Conversation }) {
  const convId = conv.conv_id;
  const timeline = useSelect(store, (s) => s.timelines[convId] ?? EMPTY_TIMELINE);
  const highlight = useSelect(store, (s) => (s.highlight?.conv_id === convId ? s.highlight : null));
  const group = useSelect(store, (s) => (conv.conv_type === 'group' ? s.groups[conv.peer] : undefined));
  useSelect(store, (s) => s.users);
  const c = chat();
  const ref = useRef<HTMLDivElement>(null);
  const inner = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  const fromBottom = useRef(0);
  const firstKey = useRef<string | undefined>(undefined);
  const [away, setAway] = useState(false);

  const rows = useMemo(() => buildRows(timeline.messages, c.me, Date.now()), [timeline.messages]);
  const bySeq = useMemo(() => {
    const m = new Map<number, ChatMessage>();
    for (const x of timeline.messages) if (x.seq > 0) m.set(x.seq, x);
    return m;
  }, [timeline.messages]);

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const first = timeline.messages[0];
    const key = first ? `${first.seq}:${first.cmid}` : undefined;
    const prepended = firstKey.current !== undefined && key !== firstKey.current && !stick.current;
    firstKey.current = key;
    if (stick.current) el.scrollTop = el.scrollHeight;
    else if (prepended) el.scrollTop = el.scrollHeight - fromBottom.current;
    if (timeline.loaded && timeline.hasOlder && !timeline.busy && el.scrollHeight <= el.clientHeight + EDGE) void c.messages.loadOlder(convId);
  }, [timeline.messages, timeline.loaded]);

  // Images and fonts change the height after render: stay at the bottom if we were there.
  useEffect(() => {
    const el = ref.current;
    if (!el || !inner.current || typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(() => { if (stick.current) el.scrollTop = el.scrollHeight; });
    ro.observe(inner.current);
    return () => ro.disconnect();
  }, []);

  useEffect(() => {
    if (!highlight) return;
    const el = ref.current?.querySelector<HTMLElement>(`[data-seq="${highlight.seq}"]`);
    if (!el) return;
    stick.current = false;
    el.scrollIntoView({ block: 'center' });
    el.focus({ preventScroll: true });
    const t = setTimeout(() => { if (store.get().highlight?.at === highlight.at) store.set({ highlight: null }); }, 2500);
    return () => clearTimeout(t);
  }, [highlight?.at, rows.length]);

  const onScroll = () => {
    const el = ref.current;
    if (!el) return;
    const gap = el.scrollHeight - el.scrollTop - el.clientHeight;
    stick.current = gap < 40 && !timeline.hasNewer;
    fromBottom.current = el.scrollHeight - el.scrollTop;
    setAway(gap > 300 || timeline.hasNewer);
    if (el.scrollTop < EDGE && timeline.hasOlder && !timeline.busy) void c.messages.loadOlder(convId);
    if (gap < EDGE && timeline.hasNewer && !timeline.busy) void c.messages.loadNewer(convId);
  };

  const toBottom = () => {
    stick.current = true;
    setAway(false);
    if (timeline.hasNewer) void c.messages.toLatest(convId);
    else if (ref.current) ref.current.scrollTop = ref.current.scrollHeight;
  };

  return (
    <div class="messages-wrap">
      <div ref={ref} class="messages" onScroll={onScroll} role="log" aria-label="Messages" aria-live="polite" aria-relevant="additions" data-testid="messages">
        <div ref={inner} class="messages-inner">
          {timeline.busy === 'older' && <div class="loader" role="status">Loading earlier messages…</div>}
          {timeline.loaded && !timeline.hasOlder && timeline.messages.length > 0 && <div class="history-start muted">This is the beginning of the conversation</div>}
          {!timeline.loaded && <div class="loader" role="status">Loading messages…</div>}
          {timeline.loaded && timeline.messages.length === 0 && <div class="history-start muted">No messages yet. Say hello!</div>}
          {rows.map((r) => r.kind === 'day'
            ? <div key={r.key} class="day-sep" role="separator"><span>{r.label}</span></div>
            : r.kind === 'notice'
              ? <NoticeLine key={r.key} msg={r.msg} />
              : <MessageBubble key={r.key} row={r} conv={conv} members={group?.members} quoted={r.msg.reply_to !== undefined ? bySeq.get(r.msg.reply_to) : undefined}
                  highlighted={highlight?.seq === r.msg.seq && r.msg.seq > 0} />)}
          {timeline.busy === 'newer' && <div class="loader" role="status">Loading newer messages…</div>}
        </div>
      </div>
      {(away || timeline.hasNewer) && (
        <button type="button" class="to-latest" onClick={toBottom} aria-label="Jump to latest messages"><IconDown /> Latest</button>
      )}
    </div>
  );
}
