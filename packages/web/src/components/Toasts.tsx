import { store } from '../state/app-state.js';
import { useSelect } from '../state/store.js';

/** Short notes at the bottom; errors are announced assertively. */
export function Toasts() {
  const toasts = useSelect(store, (s) => s.toasts);
  return (
    <div class="toasts" aria-live="polite">
      {toasts.map((t) => (
        <div key={t.id} class={`toast ${t.tone}`} role={t.tone === 'error' ? 'alert' : 'status'}>{t.text}</div>
      ))}
    </div>
  );
}
