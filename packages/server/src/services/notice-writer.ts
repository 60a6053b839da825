import type { ConvType, NoticeContent } from '@parley/protocol';
import type { StoredMessage } from '../store/store.js';

/**
 * How domain services put a system notice into a conversation's timeline:
 * through the same path as user messages (seq, group commit, push, event).
 * Implemented by dispatch's message pipeline.
 */
export interface NoticeWriter {
  postNotice(appId: string, convId: string, convType: ConvType, sender: string, content: NoticeContent): Promise<StoredMessage>;
  /** the highest seq handed out in the conversation (SeqAllocator.current): a join seq of this + 1 never points before a message */
  currentSeq(appId: string, convId: string): Promise<number>;
}

/** Where a message goes and who receives its push. */
export interface Route {
  convId: string;
  convType: ConvType;
  /** every user whose devices get the push (the sender included: their other devices) */
  recipients: readonly string[];
}
