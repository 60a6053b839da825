/**
 * @parley/sdk — browser-safe entry: no Node modules, uses the global WebSocket
 * unless given a ConnectionFactory. Under Node, `@parley/sdk` resolves to
 * `@parley/sdk/node` instead (the package's "node" export condition), whose
 * ParleyClient uses `ws`: Node 20 has no global WebSocket.
 */
export { ParleyClient } from './client.js';
export type { ClientOptions, SendTextOptions, HistoryQuery, SearchFilters, ConversationSettings } from './client.js';
export type { ParleyClientOptions, RequestOp, RequestFields, RequestOptions } from './client-core.js';
export { webSocketConnection, fromWebSocket } from './connection.js';
export type { Connection, ConnectionFactory, ConnectionHandlers, CloseInfo, WebSocketLike, WebSocketConstructor } from './connection.js';
export type {
  ClientState, ClientEvents, ClientEventName, ClientEventHandler, StateChange,
  ReadEvent, TypingEvent, ConvEvent, KickedEvent,
} from './events.js';
export { RequestTimeoutError, ConnectionLostError, ClientClosedError, KickedError } from './errors.js';
export { Backoff, backoffDelay, DEFAULT_BACKOFF } from './backoff.js';
export type { BackoffOptions } from './backoff.js';
export { DEFAULT_GAP_FILL } from './gap-filler.js';
export type { GapFillOptions } from './gap-filler.js';
export { newCmid } from './outbox.js';
export type { SendInput, OutgoingMessage, PendingSend } from './outbox.js';
export { ParleyError } from '@parley/protocol';
export type {
  ErrorCode, Message, Conversation, SendAck, AuthOk, HistoryResult, ConvListResult, ReadResult,
  ReceiptsResult, PresenceResult, SearchResult, Presence, Platform, ReplyData,
} from '@parley/protocol';
