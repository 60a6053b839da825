import type { Conversation } from '@parley/protocol';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { errorText } from '../api.js';
import { ALL, collectMentions, filterCandidates, insertMention, mentionQueryAt, type MentionCandidate, type MentionQuery } from '../logic/mentions.js';
import { store, toast } from '../state/app-state.js';
import { chat } from '../state/session.js';
import { useSelect } from '../state/store.js';
import { IconClip, IconClose, IconImage, IconSend } from './Icons.js';
import { MentionPicker } from './MentionPicker.js';
import { QuoteBlock } from './QuoteBlock.js';

/**
 * Writing a message: Enter sends, Shift+Enter is a new line, "@" in a group
 * opens the member picker, Escape cancels a reply. Images and files are
 * uploaded first, then sent as image/file messages.
 */
export function Composer({ conv }: { conv: Conversation }) {
  const c = chat();
  const replyTo = useSelect(store, (s) => (s.replyTo?.conv_id === conv.conv_id ? s.replyTo.msg : null));
  const group = useSelect(store, (s) => (conv.conv_type === 'group' ? s.groups[conv.peer] : undefined));
  useSelect(store, (s) => s.users);
  const [text, setText] = useState('');
  const [query, setQuery] = useState<MentionQuery | null>(null);
  const [pickIndex, setPickIndex] = useState(0);
  const [picked, setPicked] = useState<MentionCandidate[]>([]);
  const [uploading, setUploading] = useState(false);
  const area = useRef<HTMLTextAreaElement>(null);
  const imageInput = useRef<HTMLInputElement>(null);
  const fileInput = useRef<HTMLInputElement>(null);

  useEffect(() => { area.current?.focus(); }, [conv.conv_id]);
  useEffect(() => {
    const el = area.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${Math.min(160, el.scrollHeight)}px`;
  }, [text]);

  const candidates = useMemo<MentionCandidate[]>(() => {
    if (!group) return [];
    const others = group.members.filter((m) => m.user_id !== c.me).map((m) => ({ user_id: m.user_id, name: c.directory.name(m.user_id) }));
    return [...others, ALL];
  }, [group, store.get().users]);
  const matches = query ? filterCandidates(candidates, query.query) : [];
  const pickerOpen = query !== null && matches.length > 0;

  const updateQuery = (value: string, caret: number) => {
    const q = conv.conv_type === 'group' ? mentionQueryAt(value, caret) : null;
    setQuery(q);
    setPickIndex(0);
  };

  const pick = (cand: MentionCandidate) => {
    const el = area.current!;
    if (!query) return;
    const r = insertMention(text, query, el.selectionStart, cand.name);
    setText(r.text);
    setPicked((p) => (p.some((x) => x.user_id === cand.user_id) ? p : [...p, cand]));
    setQuery(null);
    requestAnimationFrame(() => { el.focus(); el.setSelectionRange(r.caret, r.caret); });
  };

  const send = () => {
    const body = text.trim();
    if (!body) return;
    if (store.get().timelines[conv.conv_id]?.hasNewer) void c.messages.toLatest(conv.conv_id);
    c.messages.sendText(conv.conv_id, body, { mentions: collectMentions(body, picked), ...(replyTo ? { reply_to: replyTo.seq } : {}) });
    setText('');
    setPicked([]);
    setQuery(null);
    if (replyTo) store.set({ replyTo: null });
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (pickerOpen) {
      if (e.key === 'ArrowDown') { e.preventDefault(); return setPickIndex((pickIndex + 1) % matches.length); }
      if (e.key === 'ArrowUp') { e.preventDefault(); return setPickIndex((pickIndex - 1 + matches.length) % matches.length); }
      if (e.key === 'Enter' || e.key === 'Tab') { e.preventDefault(); return pick(matches[pickIndex]!); }
      if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); return setQuery(null); }
    }
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); send(); }
    else if (e.key === 'Escape' && replyTo) { e.preventDefault(); store.set({ replyTo: null }); }
  };

  const onFiles = async (files: FileList | null) => {
    const list = [...(files ?? [])];
    if (list.length === 0) return;
    setUploading(true);
    try {
      for (const f of list) await c.messages.sendFile(conv.conv_id, f);
    } catch (err) {
      toast(`Upload failed: ${errorText(err)}`, 'error');
    } finally {
      setUploading(false);
      if (imageInput.current) imageInput.current.value = '';
      if (fileInput.current) fileInput.current.value = '';
    }
  };

  return (
    <div class="composer">
      {replyTo && (
        <div class="reply-bar">
          <QuoteBlock msg={replyTo} />
          <button type="button" class="icon-btn tiny" aria-label="Cancel reply" onClick={() => store.set({ replyTo: null })}><IconClose size={16} /></button>
        </div>
      )}
      {pickerOpen && <MentionPicker items={matches} index={pickIndex} onPick={pick} onHover={setPickIndex} />}
      <div class="composer-row">
        <button type="button" class="icon-btn" aria-label="Send an image" title="Send an image" disabled={uploading} onClick={() => imageInput.current?.click()}><IconImage /></button>
        <button type="button" class="icon-btn" aria-label="Send a file" title="Send a file" disabled={uploading} onClick={() => fileInput.current?.click()}><IconClip /></button>
        <input ref={imageInput} type="file" accept="image/*" hidden data-testid="image-input" onChange={(e) => void onFiles(e.currentTarget.files)} />
        <input ref={fileInput} type="file" hidden data-testid="file-input" onChange={(e) => void onFiles(e.currentTarget.files)} />
        <textarea ref={area} rows={1} value={text} placeholder={uploading ? 'Uploading…' : `Message ${c.convName(conv)}`} aria-label="Message"
          aria-autocomplete={conv.conv_type === 'group' ? 'list' : undefined} aria-expanded={conv.conv_type === 'group' ? pickerOpen : undefined}
          aria-controls={pickerOpen ? 'mention-picker' : undefined}
          onInput={(e) => {
            const el = e.currentTarget;
            setText(el.value);
            updateQuery(el.value, el.selectionStart);
            if (el.value.trim() && conv.last_seq > 0) c.typing(conv.conv_id); // a chat with no message yet does not exist on the server
          }}
          onKeyDown={onKeyDown}
          onClick={(e) => updateQuery(e.currentTarget.value, e.currentTarget.selectionStart)} />
        <button type="button" class="send-btn" aria-label="Send" disabled={!text.trim()} onClick={send}><IconSend /></button>
      </div>
    </div>
  );
}
