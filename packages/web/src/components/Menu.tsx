import { useLayoutEffect, useRef } from 'preact/hooks';

/**
 * A small popup menu: arrow keys move, Enter runs, Escape or a click outside
 * closes it and gives focus back to the button that opened it.
 */
export interface MenuItem { label: string; run: () => void; danger?: boolean }

export function Menu({ items, onClose, label, align = 'right' }: { items: MenuItem[]; onClose: () => void; label: string; align?: 'left' | 'right' }) {
  const ref = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    const opener = document.activeElement as HTMLElement | null;
    ref.current?.querySelector<HTMLElement>('[role=menuitem]')?.focus();
    const outside = (e: MouseEvent) => { if (!ref.current?.contains(e.target as Node)) onClose(); };
    document.addEventListener('mousedown', outside);
    return () => {
      document.removeEventListener('mousedown', outside);
      if (ref.current?.contains(document.activeElement) || document.activeElement === document.body) opener?.focus?.();
    };
  }, []);
  const onKey = (e: KeyboardEvent) => {
    const els = [...(ref.current?.querySelectorAll<HTMLElement>('[role=menuitem]') ?? [])];
    const i = els.indexOf(document.activeElement as HTMLElement);
    if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); onClose(); }
    else if (e.key === 'ArrowDown') { e.preventDefault(); els[(i + 1) % els.length]?.focus(); }
    else if (e.key === 'ArrowUp') { e.preventDefault(); els[(i - 1 + els.length) % els.length]?.focus(); }
    else if (e.key === 'Tab') onClose();
  };
  return (
    <div ref={ref} class={`menu menu-${align}`} role="menu" aria-label={label} onKeyDown={onKey}>
      {items.map((it) => (
        <button key={it.label} type="button" role="menuitem" class={`menu-item${it.danger ? ' danger' : ''}`}
          onClick={() => { onClose(); it.run(); }}>{it.label}</button>
      ))}
    </div>
  );
}
