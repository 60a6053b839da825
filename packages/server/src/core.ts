import type { Logger } from 'pino';
import type { EventBus } from './bus/event-bus.js';
import { ClientOps } from './dispatch/client-ops.js';
import { Dispatcher } from './dispatch/dispatcher.js';
import { GroupCommitter } from './dispatch/group-commit.js';
import { MessagePipeline } from './dispatch/message-pipeline.js';
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
}

export interface CoreOptions {
  commitWindowMs: number;
  commitMaxBatch: number;
  maxContentBytes: number;
}

/**
 * The domain services and the dispatch role wired together over the chosen
 * backends. Knows interfaces only; `platform.ts` picks the implementations.
 */
export interface Core {
  backends: Backends;
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
  const { store, location, seq, bus } = backends;
  const apps = new AppService(store, clock);
  const users = new UserService(store, apps, args.tokens, args.passwords, clock);
  const relations = new RelationService(store, clock);
  const membership = new Membership(store);
  const single = new SingleChatService(store, apps, relations, membership, clock);
  const pusher = new Pusher(transport, location);
  const committer = new GroupCommitter(store, { windowMs: options.commitWindowMs, maxBatch: options.commitMaxBatch }, metrics, log);

  // The pipeline writes group notices, and group-chat routes sends: each needs the other.
  let groups!: GroupChatService;
  const pipeline = new MessagePipeline({
    store, seq, committer, pusher, bus, single, membership, metrics, clock,
    maxContentBytes: options.maxContentBytes,
    get groups() {
      return groups;
    },
  });
  groups = new GroupChatService(store, apps, membership, pipeline, clock, seq);
  const box = new MessageBox(store, apps, membership, pipeline, clock);
  const notifications = new NotificationService(store, membership, pipeline, clock);
  const presence = new PresenceHub(location, pusher);
  const ops = new ClientOps({ apps, users, box, membership, presence, pusher, location });
  const dispatcher = new Dispatcher({ transport, pipeline, ops, presence, pusher, location, apps, users, bus, clock, log, metrics });
  return { backends, apps, users, relations, membership, single, groups, box, notifications, pipeline, committer, ops, presence, dispatcher };
}
