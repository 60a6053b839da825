import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import type { EventBus, ParleyEvent } from '../bus/event-bus.js';
import type { AppService } from './app-service.js';

export interface WebhookOptions {
  timeoutMs: number;
  /** delays before each retry; the number of entries is the number of retries */
  retryDelaysMs: number[];
  /** at most this many deliveries in flight; more are dropped with a warning (a dead endpoint must not eat memory) */
  maxInFlight: number;
}

export const DEFAULT_WEBHOOK_OPTIONS: WebhookOptions = { timeoutMs: 5000, retryDelaysMs: [1000, 5000, 25000], maxInFlight: 1000 };

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the app's webhook secret>` */
export function signWebhook(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

/**
 * After-event webhooks: every event of an app that has `webhook_url` set is
 * POSTed there as JSON, signed with the app's webhook secret (header
 * `Parley-Signature`), with a timeout and a few retries on failure or non-2xx.
 * Best effort, in memory: retries pending at shutdown are dropped. Business
 * lines that need every event use the event stream instead.
 */
export class WebhookSender {
  private inFlight = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private unsubscribe: (() => Promise<void>) | null = null;

  constructor(
    private readonly bus: EventBus,
    private readonly apps: AppService,
    private readonly log: Logger,
    private readonly opts: WebhookOptions = DEFAULT_WEBHOOK_OPTIONS,
    private readonly post: typeof fetch = fetch,
  ) {}

  async start(): Promise<void> {
    // One consumer group for every api process: each event's webhook is sent once per cluster.
    this.unsubscribe = await this.bus.subscribe('*', (e) => this.onEvent(e), { group: 'webhooks' });
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await this.unsubscribe?.();
  }

  private async onEvent(event: ParleyEvent): Promise<void> {
    const app = await this.apps.get(event.app_id).catch(() => null);
    const url = app?.settings.webhook_url;
    if (!app || !url) return;
    if (this.inFlight >= this.opts.maxInFlight) {
      this.log.warn({ app: app.app_id, event: event.type }, 'webhook backlog full; event dropped');
      return;
    }
    this.inFlight++;
    void this.deliver(url, app.webhook_secret, event, 0);
  }

  private async deliver(url: string, secret: string, event: ParleyEvent, attempt: number): Promise<void> {
    const body = JSON.stringify(event);
    let ok = false;
    try {
      const res = await this.post(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'parley-event': event.type,
          'parley-delivery': `${event.id}.${attempt}`,
          'parley-signature': signWebhook(secret, body, Math.floor(Date.now() / 1000)),
        },
        body,
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
      ok = res.ok;
      await res.body?.cancel();
    } catch (err) {
      this.log.debug({ err, url, attempt }, 'webhook delivery failed');
    }
    const delay = this.opts.retryDelaysMs[attempt];
    if (ok || delay === undefined) {
      if (!ok) this.log.warn({ url, event: event.type, id: event.id }, 'webhook gave up after retries');
      this.inFlight--;
      return;
    }
    const t = setTimeout(() => {
      this.timers.delete(t);
      void this.deliver(url, secret, event, attempt + 1);
    }, delay);
    t.unref();
    this.timers.add(t);
  }
}
