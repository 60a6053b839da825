import { useEffect, useState } from 'preact/hooks';
import { store } from '../state/app-state.js';
import { chat } from '../state/session.js';
import { useSelect } from '../state/store.js';

/** "Bob is typing…" under the messages, while typing pushes keep coming. */
export function TypingLine({ convId }: { convId: string }) {
  const typing = useSelect(store, (s) => s.typing[convId]);
  const [, tick] = useState(0);
  useEffect(() => {
    const t = setInterval(() => tick((n) => n + 1), 1000);
    return () => clearInterval(t);
  }, []);
  const now = Date.now();
  const who = typing ? Object.keys(typing).filter((u) => typing[u]! > now) : [];
  const c = chat();
  const text = who.length === 0 ? '' : who.length === 1 ? `${c.nameOf(who[0]!)} is typing` : who.length === 2
    ? `${c.nameOf(who[0]!)} and ${c.nameOf(who[1]!)} are typing` : 'Several people are typing';
  return (
    <div class="typing-line" aria-live="polite" data-testid="typing">
      {text && <><span class="typing-dots" aria-hidden="true"><i /><i /><i /></span>{text}…</>}
    </div>
  );
}
