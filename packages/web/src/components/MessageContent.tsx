import type { FileContent, ImageContent, LinkContent } from '@parley/protocol';
import { describeUrl, firstUrl, safeHref } from '../logic/links.js';
import { segmentText } from '../logic/mentions.js';
import { fileSize } from '../logic/time-format.js';
import type { ChatMessage } from '../logic/timeline.js';
import { openDialog } from '../state/app-state.js';
import { chat } from '../state/session.js';
import { IconFile, IconLink } from './Icons.js';

/** A message body by type: text (links, @mentions, a link card), image, file, link card, custom. */
export function MessageContent({ msg }: { msg: ChatMessage }) {
  switch (msg.type) {
    case 'text': return <TextBody msg={msg} />;
    case 'image': return <ImageBody c={msg.content as ImageContent} />;
    case 'file': return <FileBody c={msg.content as FileContent} />;
    case 'link': return <LinkCard c={msg.content as LinkContent} />;
    default: return <span class="muted">[{msg.type} message]</span>;
  }
}

function TextBody({ msg }: { msg: ChatMessage }) {
  const text = String((msg.content as { text?: string } | null)?.text ?? '');
  const c = chat();
  const labels = (msg.mentions ?? []).map((id) => (id === 'all' ? 'all' : c.directory.name(id)));
  const url = firstUrl(text);
  return (
    <>
      <p class="text">
        {segmentText(text, labels).map((s, i) => {
          if (s.kind === 'link') {
            const href = safeHref(s.text);
            return href ? <a key={i} href={href} target="_blank" rel="noopener noreferrer">{s.text}</a> : s.text;
          }
          if (s.kind === 'mention') return <span key={i} class="mention">{s.text}</span>;
          return s.text;
        })}
      </p>
      {url && safeHref(url) && <LinkCard c={{ url, title: describeUrl(url).host }} compact />}
    </>
  );
}

function ImageBody({ c }: { c: ImageContent }) {
  const src = safeHref(c.thumb_url || c.url);
  const full = safeHref(c.url);
  if (!src || !full) return <span class="muted">[image]</span>;
  const ratio = c.width > 0 && c.height > 0 ? `${c.width} / ${c.height}` : undefined;
  const w = c.width > 0 ? Math.min(280, c.width) : 240;
  return (
    <button type="button" class="image-btn" aria-label="Open image" onClick={() => openDialog({ kind: 'image', url: full, alt: 'Image' })}>
      <img src={src} alt="Image" loading="lazy" style={{ width: `${w}px`, aspectRatio: ratio }} />
    </button>
  );
}

function FileBody({ c }: { c: FileContent }) {
  const href = safeHref(c.url);
  return (
    <a class="file-card" href={href} download={c.name} target="_blank" rel="noopener noreferrer" aria-label={`Download ${c.name}, ${fileSize(c.size)}`}>
      <span class="file-icon"><IconFile /></span>
      <span class="file-text">
        <span class="file-name">{c.name}</span>
        <span class="file-size">{fileSize(c.size)}{c.mime ? ` · ${c.mime.split('/')[1] ?? c.mime}` : ''}</span>
      </span>
    </a>
  );
}

function LinkCard({ c, compact }: { c: LinkContent; compact?: boolean }) {
  const href = safeHref(c.url);
  const { host, path } = describeUrl(c.url);
  const img = c.image_url ? safeHref(c.image_url) : undefined;
  return (
    <a class={`link-card${compact ? ' compact' : ''}`} href={href} target="_blank" rel="noopener noreferrer">
      {img && <img src={img} alt="" loading="lazy" />}
      <span class="link-text">
        <span class="link-host"><IconLink size={13} /> {host}</span>
        {!compact && <span class="link-title">{c.title || host}</span>}
        {compact && path && <span class="link-path">{path}</span>}
        {c.description && <span class="link-desc">{c.description}</span>}
      </span>
    </a>
  );
}
