import type { ComponentChildren } from 'preact';
import { useLayoutEffect, useRef } from 'preact/hooks';
import { IconClose } from './Icons.js';

/**
 * A modal dialog: labelled, focus moved inside on open and kept there (Tab
 * cycles), Escape or a click on the backdrop closes it, and focus returns to
 * where it was.
 */
const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), textarea:not([disabled]), select:not([disabled]), [tabindex]:not([tabindex="-1"])';

export function Dialog({ title, onClose, children, wide, class: cls }: { title: string; onClose: () => void; children: ComponentChildren; wide?: boolean; class?: string }) {
  const box = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    const el = box.current;
    const first = el?.querySelector<HTMLElement>('[data-autofocus]') ?? el?.querySelector<HTMLElement>(FOCUSABLE);
    first?.focus();
    // Escape closes even when focus fell out of the dialog (an element inside it was removed).
    const onDocKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && !e.defaultPrevented) {
        e.preventDefault();
        closeRef.current();
      }
    };
    document.addEventListener('keydown', onDocKey);
    return () => {
      document.removeEventListener('keydown', onDocKey);
      before?.focus?.();
    };
  }, []);
  const closeRef = useRef(onClose);
  closeRef.current = onClose;
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape' && !e.defaultPrevented) {
      e.preventDefault(); // the document listener below then leaves it alone
      onClose();
    } else if (e.key === 'Tab' && box.current) {
      const items = [...box.current.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((x) => x.offsetParent !== null);
      if (items.length === 0) return;
      const first = items[0]!;
      const last = items[items.length - 1]!;
      if (e.shiftKey && document.activeElement === first) { e.preventDefault(); last.focus(); }
      else if (!e.shiftKey && document.activeElement === last) { e.preventDefault(); first.focus(); }
    }
  };
  const id = `dlg-${title.replace(/\W+/g, '-').toLowerCase()}`;
  return (
    <div class="backdrop" onMouseDown={(e) => { if (e.target === e.currentTarget) onClose(); }}>
      <div ref={box} class={`dialog${wide ? ' wide' : ''}${cls ? ` ${cls}` : ''}`} role="dialog" aria-modal="true" aria-labelledby={id} onKeyDown={onKey}>
        <header class="dialog-head">
          <h2 id={id}>{title}</h2>
          <button type="button" class="icon-btn" aria-label="Close" onClick={onClose}><IconClose /></button>
        </header>
        <div class="dialog-body">{children}</div>
      </div>
    </div>
  );
}
