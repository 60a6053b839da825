import type { ConvType, NoticeContent } from '@parley/protocol';
import type { StoredMessage } from '../store/store.js';

/**
 * How domain services put a system notice into a conversation's timeline:
 * through the same path as user messages (seq, group commit, push, event).
 * Implemented by dispatch's message pipeline.
 */
export interface NoticeWriter {
  postNotice(appId: string, convId: string, convType: ConvType, sender: string, content: NoticeContent): Promise<StoredMessage>;
}

/** Where a message goes and who receives its push. */
export interface Route {
  convId: string;
  convType: ConvType;
  /** every user whose devices get the push (the sender included: their other devices) */
  recipients: readonly string[];
  /**
   * Creates the rows the conversation needs before its first message (a
   * single chat's conversation and member rows), when they may be missing.
   * The send path calls it after every check of the send passed and before
   * the message gets its seq, so a refused send leaves no trace.
   */
  open?: () => Promise<void>;
}
