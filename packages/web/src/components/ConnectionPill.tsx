import { store } from '../state/app-state.js';
import { useSelect } from '../state/store.js';

const LABEL: Record<string, string> = {
  idle: 'Starting…', connecting: 'Connecting…', open: 'Connected', reconnecting: 'Reconnecting…', offline: 'Offline', closed: 'Disconnected',
};

/** The connection state, always visible; announced politely when it changes. */
export function ConnectionPill() {
  const conn = useSelect(store, (s) => s.conn);
  const kicked = useSelect(store, (s) => s.kicked);
  const state = kicked ? 'closed' : conn;
  return (
    <span class={`conn-pill conn-${state}`} role="status" aria-live="polite" data-state={state}>
      <span class="conn-dot" aria-hidden="true" />
      {LABEL[state] ?? state}
    </span>
  );
}
