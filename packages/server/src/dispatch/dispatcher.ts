import { ParleyError, type ClientFrame, type ErrorFrame, type KickedPush, type OkFrame, type ReqId } from '@parley/protocol';
import type { Logger } from 'pino';
import type { Location } from '../location/location.js';
import type { Metrics } from '../metrics.js';
import { toProtocolError } from '../protocol-errors.js';
import type { AppService } from '../services/app-service.js';
import type { Clock } from '../services/clock.js';
import type { UserService } from '../services/user-service.js';
import type { DispatchSide, SessionInfo, Upstream } from '../transport/transport.js';
import type { ClientOps } from './client-ops.js';
import type { EventPublisher } from './event-publisher.js';
import type { MessagePipeline } from './message-pipeline.js';
import type { PresenceHub } from './presence-hub.js';
import type { Pusher } from './pusher.js';

export interface DispatcherDeps {
  transport: DispatchSide;
  pipeline: MessagePipeline;
  ops: ClientOps;
  presence: PresenceHub;
  pusher: Pusher;
  location: Location;
  apps: AppService;
  users: UserService;
  publisher: EventPublisher;
  clock: Clock;
  log: Logger;
  metrics?: Metrics;
}

interface Conn {
  session: SessionInfo;
  /** frames of one connection are handled in arrival order; sends only until they are handed to the committer */
  chain: Promise<void>;
  /** set once `open` is done; frames wait for it */
  ready: Promise<boolean>;
}

/**
 * The dispatch role: receives sessions and frames from the links, runs each
 * frame through the domain services, answers the sender and pushes to the
 * recipients. Holds no connection itself; everything goes through the transport.
 */
export class Dispatcher {
  private readonly conns = new Map<string, Conn>();
  /** 'draining': frames are refused (shutting_down); 'leaving': frames are dropped, the links re-send them elsewhere */
  private closing: false | 'draining' | 'leaving' = false;
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(private readonly d: DispatcherDeps) {
    d.transport.onUp((msg) => this.onUp(msg));
    d.transport.onLinkGone((linkId) => void this.track(this.linkGone(linkId)));
    d.transport.onLinkHeartbeat((linkId) => {
      d.location.heartbeat(linkId).catch((err: unknown) => d.log.warn({ err, link: linkId }, 'location heartbeat failed'));
    });
  }

  private onUp(msg: Upstream): void {
    switch (msg.kind) {
      case 'open': {
        const ready = this.track(this.open(msg.session));
        this.conns.set(msg.session.conn_id, { session: msg.session, chain: ready.then(() => undefined), ready });
        return;
      }
      case 'close': {
        const c = this.conns.get(msg.session.conn_id);
        this.conns.delete(msg.session.conn_id);
        void this.track((c?.chain ?? Promise.resolve()).then(() => this.close(msg.session)));
        return;
      }
      case 'frame': {
        const c = this.conns.get(msg.session.conn_id);
        if (!c) return; // frame of a connection that closed meanwhile
        c.chain = c.chain.then(() => this.frame(c, msg.frame));
        return;
      }
    }
  }

  private async open(s: SessionInfo): Promise<boolean> {
    const { d } = this;
    try {
      if (await d.users.isRevoked(s.app_id, s.user_id, s.token_iat, { fresh: true })) {
        d.pusher.kick(s, JSON.stringify({ op: 'kicked', reason: 'revoked' } satisfies KickedPush));
        return false;
      }
      const app = await d.apps.get(s.app_id);
      const { kicked, first } = await d.location.register(
        { app_id: s.app_id, user_id: s.user_id, conn_id: s.conn_id, link_id: s.link_id, ...(s.boot_id ? { boot_id: s.boot_id } : {}), platform: s.platform, connected_at: s.connected_at },
        app.settings.login_policy,
      );
      const payload = JSON.stringify({ op: 'kicked', reason: 'replaced' } satisfies KickedPush);
      // A session re-opened here after its dispatcher went away is already registered: never kick it for itself.
      for (const k of kicked) if (k.conn_id !== s.conn_id) d.pusher.kick(k, payload);
      if (first) {
        await d.presence.changed(s.app_id, s.user_id);
        d.publisher.publish({ id: `on-${s.conn_id}`, type: 'user.online', app_id: s.app_id, at: d.clock(), data: { user_id: s.user_id, platform: s.platform } }, presenceKey(s));
      }
      return true;
    } catch (err) {
      d.log.error({ err, conn: s.conn_id }, 'session open failed');
      d.pusher.kick(s, JSON.stringify({ op: 'error', code: 'unavailable', message: 'could not open the session', retryable: true } satisfies ErrorFrame));
      return false;
    }
  }

  private async close(s: SessionInfo): Promise<void> {
    const { d } = this;
    d.presence.unwatchAll(s.conn_id);
    try {
      const last = await d.location.unregister(s.app_id, s.user_id, s.conn_id);
      if (last) {
        await d.presence.changed(s.app_id, s.user_id);
        d.publisher.publish({ id: `off-${s.conn_id}`, type: 'user.offline', app_id: s.app_id, at: d.clock(), data: { user_id: s.user_id } }, presenceKey(s));
      }
    } catch (err) {
      d.log.error({ err, conn: s.conn_id }, 'session close failed');
    }
  }

  /**
   * This dispatcher lost its connection to a link: close the sessions held
   * here (unregistering only those). Entries other dispatchers hold for that
   * link are left alone: the link may be up and still talking to them (a
   * partition between this dispatcher and the link only), and a link that
   * really died has its entries expire with its TTL in the location.
   */
  private async linkGone(linkId: string): Promise<void> {
    const mine = [...this.conns.values()].filter((c) => c.session.link_id === linkId);
    for (const c of mine) this.conns.delete(c.session.conn_id);
    await Promise.allSettled(mine.map((c) => c.chain.then(() => this.close(c.session))));
  }

  private async frame(c: Conn, f: ClientFrame): Promise<void> {
    if (!(await c.ready)) return;
    const s = c.session;
    const id = 'id' in f ? (f.id as ReqId | undefined) : undefined;
    if (this.closing === 'leaving') return; // unanswered: the link re-sends it to the next dispatcher
    if (this.closing) return this.error(s, id, new ParleyError('shutting_down'));
    try {
      if (f.op === 'send') {
        const { committed } = await this.d.pipeline.accept({
          app_id: s.app_id, sender: s.user_id, conn_id: s.conn_id, cmid: f.cmid, conv_type: f.conv_type, to: f.to,
          type: f.type, content: f.content, mentions: f.mentions, reply_to: f.reply_to,
        });
        // The chain moves on now; the ack follows the commit.
        void this.track(committed.then(
          (ack) => this.reply(s, f.id, ack),
          (err) => this.error(s, f.id, err),
        ));
        return;
      }
      if (f.op === 'auth' || f.op === 'ping') return; // answered by the link
      const data = await this.d.ops.handle(s, f);
      if (id !== undefined) this.reply(s, id, data ?? {});
    } catch (err) {
      this.error(s, id, err);
    }
  }

  private reply(s: SessionInfo, id: ReqId, data: unknown): void {
    const frame: OkFrame = { op: 'ok', id, data };
    this.d.pusher.sendTo(s.link_id, s.conn_id, JSON.stringify(frame), s.boot_id);
  }

  private error(s: SessionInfo, id: ReqId | undefined, err: unknown): void {
    const known = toProtocolError(err);
    const e = known ?? new ParleyError('internal');
    if (!known) this.d.log.error({ err, conn: s.conn_id }, 'frame failed');
    this.d.metrics?.frameErrors.inc({ code: e.code });
    const frame: ErrorFrame = { op: 'error', ...(id !== undefined ? { id } : {}), code: e.code, message: e.message, retryable: e.retryable };
    this.d.pusher.sendTo(s.link_id, s.conn_id, JSON.stringify(frame), s.boot_id);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    const done = () => void this.inflight.delete(p);
    p.then(done, done);
    return p;
  }

  sessionCount(): number {
    return this.conns.size;
  }

  /** Stop taking frames and wait for what is in flight (acks of committed messages go out). */
  async drain(): Promise<void> {
    this.closing ||= 'draining';
    await Promise.allSettled([...this.conns.values()].map((c) => c.chain));
    await Promise.allSettled([...this.inflight]);
  }

  /**
   * Leave the cluster without the clients noticing (scale-in, rolling
   * restart): frames arriving from now on are dropped unanswered, what is in
   * flight finishes (its acks go out), then the transport side closes, which
   * tells the links to re-open these sessions on another dispatcher and
   * re-send what was not answered. Location entries stay: the sessions live on.
   */
  async leave(): Promise<void> {
    this.closing = 'leaving';
    await this.drain();
    this.conns.clear();
    await this.d.transport.close();
  }
}

/** Online/offline events of one user leave in the order they happened. */
function presenceKey(s: Pick<SessionInfo, 'app_id' | 'user_id'>): string {
  return `${s.app_id}\u0000user\u0000${s.user_id}`;
}
