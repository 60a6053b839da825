import type { ConvType, MemberRole, Message } from '@parley/protocol';

/** The rows the store seam reads and writes (DESIGN §3); guarantees are on the interfaces in store.ts. */

export interface AppRow {
  app_id: string;
  name: string;
  /** sha-256 hex of the API key; the key itself is shown once at creation */
  api_key_hash: string;
  /** secret for signing webhooks */
  webhook_secret: string;
  settings: AppSettings;
  created_at: number;
}

export interface AppSettings {
  allow_registration: boolean;
  require_friendship: boolean;
  read_receipts: boolean;
  recall_window_sec: number;
  max_group_members: number;
  /** platforms of which a user may have one connection each; others kick the older one */
  login_policy: 'one_per_platform' | 'one_total' | 'unlimited';
  /** extra custom message types allowed (all `custom` content is accepted regardless) */
  webhook_url?: string;
}

export interface UserRow {
  app_id: string;
  user_id: string;
  name: string;
  avatar?: string;
  meta?: Record<string, unknown>;
  /** scrypt hash `scrypt$N$r$p$salt$hash` or undefined when the user cannot log in by password */
  password_hash?: string;
  /** tokens issued before this time (ms) are revoked */
  tokens_valid_after: number;
  created_at: number;
}

export interface ConversationRow {
  app_id: string;
  conv_id: string;
  type: ConvType;
  last_seq: number;
  /** JSON of the last message (the conversation list preview), if any */
  last_message?: StoredMessage;
  updated_at: number;
}

export interface MemberRow {
  app_id: string;
  conv_id: string;
  user_id: string;
  role: MemberRole;
  /** first seq this member may see (history visibility) */
  join_seq: number;
  read_seq: number;
  /** ms epoch until which the member may not send (group mute), 0 = not muted */
  muted_until: number;
  /** notification mute (do not disturb), pinned, hidden: the user's own list settings */
  muted: boolean;
  pinned: boolean;
  hidden: boolean;
  joined_at: number;
}

export interface GroupRow {
  app_id: string;
  group_id: string;
  name: string;
  avatar?: string;
  notice: string;
  owner: string;
  muted_all: boolean;
  dismissed: boolean;
  max_members: number;
  created_at: number;
}

/** A message as stored: the wire `Message` with its app, without the derived conv_type. */
export interface StoredMessage extends Omit<Message, 'conv_type'> {
  app_id: string;
}

/** A stored message with its content still the JSON text the store holds (history replies splice it in unparsed). */
export interface StoredMessageText extends Omit<StoredMessage, 'content'> {
  content_json: string;
}

/** A conversation-list row: the member row joined with its conversation. */
export interface MemberConversation extends MemberRow {
  type: ConvType;
  last_seq: number;
  last_message?: StoredMessage;
  updated_at: number;
}

export interface HistoryQuery {
  app_id: string;
  conv_id: string;
  /** the reader: their join_seq bounds what is visible and their deletions are hidden */
  user_id: string;
  /** newest first below this seq (exclusive) */
  before?: number;
  /** oldest first above this seq (exclusive); wins over before */
  after?: number;
  limit: number;
}

export interface SearchQuery {
  app_id: string;
  user_id: string;
  text: string;
  conv_id?: string;
  sender?: string;
  type?: string;
  since?: number;
  until?: number;
  limit: number;
}

export interface MemberPatch {
  role?: MemberRole;
  muted_until?: number;
  muted?: boolean;
  pinned?: boolean;
  hidden?: boolean;
}
