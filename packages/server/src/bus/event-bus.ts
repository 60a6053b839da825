/**
 * Event bus for business lines: message and group events per app.
 *
 * Guarantees: events are published after the data they describe is committed;
 * delivery to subscribers is at-least-once for durable implementations (NATS
 * JetStream) and best-effort within the process for the in-process one.
 * Per app and conversation, events are published in seq order.
 */
export type ParleyEventType =
  | 'message.created' | 'message.recalled' | 'conversation.read'
  | 'group.created' | 'group.members_added' | 'group.member_removed' | 'group.dismissed' | 'group.updated'
  | 'user.created' | 'user.online' | 'user.offline';

export interface ParleyEvent {
  /** unique event id (for dedup by consumers) */
  id: string;
  type: ParleyEventType;
  app_id: string;
  at: number;
  data: Record<string, unknown>;
}

export type EventHandler = (event: ParleyEvent) => void | Promise<void>;

/**
 * Added for the cluster: subscribers that pass the same `group` (in one
 * process or in several, on a shared bus) share the events — each event goes
 * to one of them — so e.g. webhooks are sent once per cluster, not once per
 * api process. Without a group every subscription gets every event.
 */
export interface SubscribeOptions {
  group?: string;
}

export interface EventBus {
  publish(event: ParleyEvent): Promise<void>;
  /** subscribe to one app's events, or all apps with appId '*'; returns an unsubscribe function */
  subscribe(appId: string, handler: EventHandler, options?: SubscribeOptions): Promise<() => Promise<void>>;
  close(): Promise<void>;
}
