/** Initials avatars: one or two letters and a colour that stays the same for an id. */
const CJK = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]/;

export function initials(name: string): string {
  const clean = name.trim();
  if (!clean) return '?';
  const first = [...clean][0]!;
  // A CJK name reads well as one character.
  if (CJK.test(first)) return first;
  const words = clean.split(/[\s_.-]+/).filter(Boolean);
  const a = [...(words[0] ?? clean)][0] ?? '?';
  const b = words.length > 1 ? [...words[words.length - 1]!][0] ?? '' : '';
  return (a + b).toUpperCase();
}

const HUES = [211, 262, 330, 14, 36, 152, 174, 190, 290, 0];

export function hashString(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

export function avatarColor(id: string): string {
  return `hsl(${HUES[hashString(id) % HUES.length]} 62% 46%)`;
}
