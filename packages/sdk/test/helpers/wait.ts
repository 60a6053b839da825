import type { ClientEventName, ClientEvents, ParleyClient } from '../../src/index.js';

/** Poll until `cond` holds; every wait in these tests is bounded. */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

/** The next event of that name (matching `pred`), or a timeout error. */
export function nextEvent<K extends ClientEventName>(
  client: ParleyClient, event: K, pred: (p: ClientEvents[K]) => boolean = () => true, timeoutMs = 3000,
): Promise<ClientEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for '${String(event)}'`));
    }, timeoutMs);
    const off = client.on(event, (p) => {
      if (!pred(p)) return;
      clearTimeout(timer);
      off();
      resolve(p);
    });
  });
}

/** Collect every payload of an event into an array. */
export function collect<K extends ClientEventName>(client: ParleyClient, event: K): Array<ClientEvents[K]> {
  const out: Array<ClientEvents[K]> = [];
  client.on(event, (p) => out.push(p));
  return out;
}

/** Bound a promise in time. */
export function within<T>(p: Promise<T>, what: string, timeoutMs = 3000): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_r, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms: ${what}`)), timeoutMs))),
  ]);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
