import { ParleyClient, fromWebSocket, type Connection, type ConnectionFactory } from '@parley/sdk';

/**
 * The SDK client as a browser tab wants it:
 * - the WebSocket URL of the page's own origin (/ws);
 * - when the browser says it went offline, the socket is dropped at once
 *   (browsers keep a dead socket "open" for a long time, and some emulated
 *   offline modes never close it), so the SDK moves to `reconnecting` and
 *   keeps sends in its outbox;
 * - no reconnect attempts while offline: the token callback, which the SDK
 *   awaits before every attempt, waits for the `online` event. That keeps
 *   failed connection attempts (and their console noise) out of the way.
 */
export function wsUrl(): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
}

function whenOnline(): Promise<void> {
  if (navigator.onLine) return Promise.resolve();
  return new Promise((resolve) => window.addEventListener('online', () => resolve(), { once: true }));
}

export interface BrowserClient {
  client: ParleyClient;
  dispose(): void;
}

export function createBrowserClient(token: string): BrowserClient {
  let current: Connection | undefined;
  const base = fromWebSocket(() => new WebSocket(wsUrl()));
  const connect: ConnectionFactory = async (handlers) => {
    const conn = await base({
      message: handlers.message,
      close: (info) => {
        if (current === conn) current = undefined;
        handlers.close(info);
      },
    });
    current = conn;
    return conn;
  };
  const client = new ParleyClient({
    connect,
    token: async () => {
      await whenOnline();
      return token;
    },
    platform: 'web',
    requestTimeoutMs: 15_000,
    reconnect: { minMs: 300, maxMs: 5_000 },
  });
  const onOffline = () => current?.destroy();
  window.addEventListener('offline', onOffline);
  return {
    client,
    dispose: () => window.removeEventListener('offline', onOffline),
  };
}
