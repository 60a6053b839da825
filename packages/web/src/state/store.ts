import { useEffect, useReducer, useRef } from 'preact/hooks';

/**
 * The smallest store that does the job: one immutable state object, updates
 * by shallow merge, subscribers told after each update. Components read it
 * through `useSelect`, which re-renders only when the selected value changes
 * (compared with Object.is — select stable references, not fresh objects).
 */
export class Store<S extends object> {
  private state: S;
  private readonly subs = new Set<() => void>();

  constructor(initial: S) {
    this.state = initial;
  }

  get(): S {
    return this.state;
  }

  set(patch: Partial<S> | ((s: S) => Partial<S>)): void {
    const p = typeof patch === 'function' ? patch(this.state) : patch;
    this.state = { ...this.state, ...p };
    for (const f of [...this.subs]) f();
  }

  subscribe(f: () => void): () => void {
    this.subs.add(f);
    return () => void this.subs.delete(f);
  }
}

export function useSelect<S extends object, T>(store: Store<S>, select: (s: S) => T): T {
  const [, force] = useReducer((n: number) => n + 1, 0);
  const selectRef = useRef(select);
  selectRef.current = select;
  const value = select(store.get());
  const valueRef = useRef(value);
  valueRef.current = value;
  useEffect(() => {
    const check = () => {
      if (!Object.is(selectRef.current(store.get()), valueRef.current)) force(0);
    };
    const off = store.subscribe(check);
    check(); // an update between render and this effect would otherwise be missed
    return off;
  }, [store]);
  return value;
}

/** Replace one entry of a record, immutably. */
export function withEntry<V>(rec: Record<string, V>, key: string, value: V): Record<string, V> {
  return { ...rec, [key]: value };
}

export function withoutEntry<V>(rec: Record<string, V>, key: string): Record<string, V> {
  const { [key]: _gone, ...rest } = rec;
  return rest;
}
