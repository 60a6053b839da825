import type { Conversation, GroupInfo, GroupMember, UserProfile } from '@parley/protocol';
import type { ChatMessage, Timeline } from '../logic/timeline.js';
import { Store } from './store.js';

/** The whole UI state. Everything in it can be rebuilt from the server (a refresh does exactly that). */
export type ConnState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'offline' | 'closed';

export interface Credentials { token: string; app_id: string; user: UserProfile }

export interface GroupState { info: GroupInfo; members: GroupMember[] }

export type DialogState =
  | { kind: 'new-chat' }
  | { kind: 'new-group' }
  | { kind: 'group'; group_id: string }
  | { kind: 'search' }
  | { kind: 'receipts'; conv_id: string; seq: number }
  | { kind: 'image'; url: string; alt: string };

export interface Toast { id: number; text: string; tone: 'info' | 'error' }

export interface AppState {
  creds: Credentials | null;
  /** true until the stored session (or the URL token) was checked */
  booting: boolean;
  conn: ConnState;
  /** the server closed this session: `replaced` by another tab/device, or signed out elsewhere */
  kicked: string | null;
  convs: Record<string, Conversation>;
  convsLoaded: boolean;
  active: string | null;
  timelines: Record<string, Timeline>;
  /** seqs deleted for me, per conversation, so a late push cannot bring them back */
  hidden: Record<string, number[]>;
  users: Record<string, UserProfile>;
  online: Record<string, boolean>;
  /** conv_id → user_id → typing until (ms) */
  typing: Record<string, Record<string, number>>;
  groups: Record<string, GroupState>;
  replyTo: { conv_id: string; msg: ChatMessage } | null;
  /** a message to scroll to and flash (search hit, quote click) */
  highlight: { conv_id: string; seq: number; at: number } | null;
  dialog: DialogState | null;
  toasts: Toast[];
  /** the app's recall window (GET /v1/app); the server has the last word (`recall_expired`) */
  recallWindowMs: number;
}

export const initialState: AppState = {
  creds: null, booting: true, conn: 'idle', kicked: null,
  convs: {}, convsLoaded: false, active: null, timelines: {}, hidden: {},
  users: {}, online: {}, typing: {}, groups: {},
  replyTo: null, highlight: null, dialog: null, toasts: [], recallWindowMs: 120_000,
};

export const store = new Store<AppState>(initialState);

let toastId = 0;
export function toast(text: string, tone: Toast['tone'] = 'info'): void {
  const id = ++toastId;
  store.set((s) => ({ toasts: [...s.toasts, { id, text, tone }].slice(-4) }));
  setTimeout(() => store.set((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) })), tone === 'error' ? 6000 : 2500);
}

export function openDialog(d: DialogState | null): void {
  store.set({ dialog: d });
}
