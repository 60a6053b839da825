import { singleConvId, groupConvId, type Message, type SendAck, type SendFrame } from '@parley/protocol';

/**
 * What the ceiling and peer servers do per message, and no more: give it a
 * per-conversation seq and build the same `Message` and `SendAck` shapes
 * Parley sends, so the bytes on the wire (and the generator's parsing work)
 * are the same on both sides of a ratio. No validation, auth or storage.
 */
export class Sequencer {
  private readonly seqs = new Map<string, number>();
  private ids = 0;

  message(sender: string, f: SendFrame): Message {
    const conv_id = f.conv_type === 'group' ? groupConvId(f.to) : singleConvId(sender, f.to);
    const seq = (this.seqs.get(conv_id) ?? 0) + 1;
    this.seqs.set(conv_id, seq);
    return {
      msg_id: `m${(++this.ids).toString(36)}`, conv_id, conv_type: f.conv_type, seq, sender, cmid: f.cmid,
      type: f.type, content: f.content, status: 'normal', created_at: Date.now(),
    };
  }
}

export function ackOf(m: Message): SendAck {
  return { cmid: m.cmid, msg_id: m.msg_id, conv_id: m.conv_id, seq: m.seq, created_at: m.created_at };
}
