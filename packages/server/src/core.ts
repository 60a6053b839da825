import type { Logger } from 'pino';
import type { EventBus } from './bus/event-bus.js';
import { AfterCommit } from './dispatch/after-commit.js';
import type { Control } from './control/control.js';
import { ControlPlane } from './control/control-plane.js';
import { ClientOps } from './dispatch/client-ops.js';
import { Dispatcher } from './dispatch/dispatcher.js';
import { EventPublisher } from './dispatch/event-publisher.js';
import { GroupCommitter } from './dispatch/group-commit.js';
import { MessagePipeline } from './dispatch/message-pipeline.js';
import { OutboxRelay } from './dispatch/outbox-relay.js';
import { PresenceHub } from './dispatch/presence-hub.js';
import { Pusher } from './dispatch/pusher.js';
import type { Location } from './location/location.js';
import type { Metrics } from './metrics.js';
import type { SeqAllocator } from './seq/seq-allocator.js';
import { AppService } from './services/app-service.js';
import type { Clock } from './services/clock.js';
import { GroupChatService } from './services/group-chat.js';
import { Membership } from './services/membership.js';
import { MessageBox } from './services/message-box.js';
import { NotificationService } from './services/notification-service.js';
import { RelationService } from './services/relation-service.js';
import { SingleChatService } from './services/single-chat.js';
import { UserService, type PasswordHashing, type TokenIssuing } from './services/user-service.js';
import type { Store } from './store/store.js';
import type { DispatchSide } from './transport/transport.js';

/** The seams, already chosen by the composition root. */
export interface Backends {
  store: Store;
  location: Location;
  seq: SeqAllocator;
  bus: EventBus;
  /** cluster-wide cache invalidations (each process its own instance on the shared plane) */
  control: Control;
}

export interface CoreOptions {
  commitWindowMs: number;
  commitMaxBatch: number;
  /** see GroupCommitOptions.deadlineMs; default 5000 */
  commitDeadlineMs?: number;
  maxContentBytes: number;
}

/**
 * The domain services and the dispatch role wired together over the chosen
 * backends. Knows interfaces only; `platform.ts` picks the implementations.
 */
export interface Core {
  backends: Backends;
  /** the typed front of `backends.control` every cache of this core goes through */
  plane: ControlPlane;
  apps: AppService;
  users: UserService;
  relations: RelationService;
  membership: Membership;
  single: SingleChatService;
  groups: GroupChatService;
  box: MessageBox;
  notifications: NotificationService;
  pipeline: MessagePipeline;
  committer: GroupCommitter;
  /** every event goes out through it; flush it on shutdown */
  publisher: EventPublisher;
  /** message events the store's outbox still holds: `start` it where messages are committed, close it after the publisher's flush */
  outbox: OutboxRelay;
  ops: ClientOps;
  presence: PresenceHub;
  dispatcher: Dispatcher;
}

export function createCore(args: {
  backends: Backends;
  transport: DispatchSide;
  tokens: TokenIssuing;
  passwords: PasswordHashing;
  options: CoreOptions;
  clock: Clock;
  log: Logger;
  metrics?: Metrics;
}): Core {
  const { backends, transport, clock, log, metrics, options } = args;
  const { store, location, seq, bus, control } = backends;
  const plane = new ControlPlane(control, {
    onError: (err, stage, type) => {
      metrics?.controlErrors.inc({ stage });
      log.warn({ err, stage, type }, 'control plane message failed');
    },
  });
  const apps = new AppService(store, clock, plane);
  const users = new UserService(store, apps, args.tokens, args.passwords, clock, plane);
  const relations = new RelationService(store, clock, plane);
  const membership = new Membership(store, plane);
  const single = new SingleChatService(store, apps, relations, membership, clock, plane);
  const pusher = new Pusher(transport, location);
  const publisher = new EventPublisher(bus, log, metrics);
  const outbox = new OutboxRelay({ store, publisher, clock, log, metrics });
  const afterCommit = new AfterCommit({ location, pusher, publisher, outbox, log, metrics });
  const committer = new GroupCommitter(
    store, { windowMs: options.commitWindowMs, maxBatch: options.commitMaxBatch, deadlineMs: options.commitDeadlineMs ?? 5000, clock },
    metrics, log, (batch) => afterCommit.run(batch),
  );

  // The pipeline writes group notices, and group-chat routes sends: each needs the other.
  let groups!: GroupChatService;
  const pipeline = new MessagePipeline({
    store, seq, committer, single, membership, metrics, clock,
    maxContentBytes: options.maxContentBytes,
    get groups() {
      return groups;
    },
  });
  groups = new GroupChatService(store, apps, membership, pipeline, clock, seq, plane);
  const box = new MessageBox(store, apps, membership, pipeline, clock);
  const notifications = new NotificationService(store, membership, pipeline, clock, plane);
  const presence = new PresenceHub(location, pusher, plane);
  const ops = new ClientOps({ apps, users, box, membership, presence, pusher, location, publisher, clock });
  const dispatcher = new Dispatcher({ transport, pipeline, ops, presence, pusher, location, apps, users, publisher, clock, log, metrics });
  return { backends, plane, apps, users, relations, membership, single, groups, box, notifications, pipeline, committer, publisher, outbox, ops, presence, dispatcher };
}
