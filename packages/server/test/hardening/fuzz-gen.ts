/**
 * Seeded generators of hostile input for the fuzz test: the same seed gives
 * the same frames and requests, so a failure can be replayed
 * (PARLEY_FUZZ_SEED=<seed> npm run test:only hardening/fuzz).
 */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  /** mulberry32 */
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

const nest = (levels: number): unknown => {
  let v: unknown = 1;
  for (let i = 0; i < levels; i++) v = i % 2 ? { a: v } : [v];
  return v;
};

/**
 * Nesting deeper than this is written as text, never built as an object:
 * JSON.stringify of it would overflow this test's own stack. A marker string
 * stands for it until the frame is serialized.
 */
const deepText = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);
const DEEP = (levels: number) => `__deep_${levels}__`;
const expandDeep = (json: string) => json.replace(/"__deep_(\d+)__"/g, (_m, n: string) => deepText(Number(n)));

/** Plausible values (so some frames get past validation) mixed with hostile ones. */
export function value(r: Rng): unknown {
  switch (r.int(24)) {
    case 0: return null;
    case 1: return -1;
    case 2: return 1e308;
    case 3: return r.int(5);
    case 4: return 2.5;
    case 5: return '';
    case 6: return 'x'.repeat(r.pick([65, 257, 5000, 20_000]));
    case 7: return r.chance(0.5) ? nest(r.pick([5, 40, 200])) : DEEP(r.pick([3000, 6000, 20_000]));
    case 8: return { __proto__: { polluted: true }, constructor: { prototype: {} } };
    case 9: return '\ud800\udfff\u0000\u202e';
    case 10: return [];
    case 11: return {};
    case 12: return r.pick(['alice', 'bob', 'carol', 'team', 'ghost', '../etc', 'a b', '*']);
    case 13: return r.pick(['s:alice:bob', 'g:team', 'n:alice', 's:bob:alice', 'x:y', 'g:']);
    case 14: return r.pick(['text', 'image', 'file', 'link', 'custom', 'notice', 'TEXT']);
    case 15: return { text: r.pick(['hi', '', 'x'.repeat(10_001)]) };
    case 16: return { data: nest(r.pick([3, 31, 33, 1000])) };
    case 17: return r.pick(['single', 'group', 'broadcast']);
    case 18: return r.chance(0.5);
    case 19: return [r.pick(['alice', 'bob', 'all', 5, null])];
    case 20: return Number.MAX_SAFE_INTEGER + 2;
    case 21: return '0x10';
    case 22: return { url: 'http://x', size: -1, width: 'w', height: 1 };
    default: return r.pick(['web', 'ios', 'desktop', 'toaster']);
  }
}

const FIELDS = [
  'id', 'cmid', 'conv_type', 'to', 'type', 'content', 'mentions', 'reply_to', 'conv_id', 'seq', 'before', 'after', 'limit',
  'pinned', 'muted', 'hidden', 'user_ids', 'q', 'sender', 'since', 'until', 'token', 'platform', 'device_id', 'op',
];

/** Valid-looking frames that one mutation turns bad (or leaves good). */
function template(r: Rng, ops: readonly string[], id: number): Record<string, unknown> {
  const op = r.pick(ops);
  const base: Record<string, unknown> = { op, id };
  switch (op) {
    case 'send':
      Object.assign(base, { cmid: `f${id}`, conv_type: r.pick(['single', 'group']), to: 'bob', type: 'text', content: { text: 'hi' } });
      if (base.conv_type === 'group') base.to = 'team';
      // free-form JSON: the content most likely to carry hostile nesting
      if (r.chance(0.4)) Object.assign(base, { type: 'custom', content: { data: r.chance(0.5) ? DEEP(r.pick([33, 500, 6000, 20_000])) : value(r) } });
      break;
    case 'history': Object.assign(base, { conv_id: 's:alice:bob', limit: 5 }); break;
    case 'read': case 'recall': case 'delete': case 'receipts': Object.assign(base, { conv_id: 's:alice:bob', seq: 1 }); break;
    case 'conv_set': Object.assign(base, { conv_id: 's:alice:bob', pinned: true }); break;
    case 'typing': delete base.id; base.conv_id = 's:alice:bob'; break;
    case 'presence': base.user_ids = ['bob']; break;
    case 'search': base.q = 'hi'; break;
    case 'auth': base.token = 'x'; break;
    default: break;
  }
  return base;
}

/** One frame's text: a mutated template, random fields, or not JSON at all. Every frame carries `id` unless it lost it. */
export function frameText(r: Rng, ops: readonly string[], id: number): string {
  const kind = r.int(10);
  if (kind === 0) return r.pick(['{oops', '[]', '"s"', 'null', '1', '{"op":', '\u0000', '{}', '{"op":"send","id":1,"content":' + '['.repeat(60)]);
  const f = kind <= 2 ? { op: r.chance(0.8) ? r.pick(ops) : value(r), id } as Record<string, unknown> : template(r, ops, id);
  const mutations = kind <= 2 ? 1 + r.int(5) : r.int(3);
  for (let i = 0; i < mutations; i++) {
    const key = r.pick(FIELDS);
    if (key === 'id' || (key === 'op' && r.chance(0.7))) continue; // keep most frames answerable by id
    if (r.chance(0.2)) delete f[key];
    else f[key] = value(r);
  }
  if (r.chance(0.05)) f[`extra_${r.int(3)}`] = value(r);
  return expandDeep(JSON.stringify(f));
}

/** Bodies for HTTP routes: raw text with a content type. */
export function httpBody(r: Rng): { payload?: string; contentType?: string } {
  const ct = r.pick(['application/json', 'application/json', 'application/json', 'text/plain', 'application/xml',
    'application/x-www-form-urlencoded', 'multipart/form-data; boundary=zz', 'application/json; charset=latin1', undefined]);
  const payload = r.pick([
    undefined, '', 'null', '{', '[]', '"x"', '123', JSON.stringify(value(r)),
    JSON.stringify(Object.fromEntries([...Array(1 + r.int(4))].map(() => [r.pick(FIELDS.concat(['user_id', 'password', 'name', 'meta', 'group_id', 'members', 'owner', 'from', 'text', 'data', 'role', 'app_id'])), value(r)]))),
    '{"a":' + '['.repeat(5000) + ']'.repeat(5000) + '}',
    ...validLooking(r),
    expandDeep(JSON.stringify({ meta: value(r) })),
    '--zz\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nhello\r\n--zz--\r\n',
  ]);
  return { ...(payload === undefined ? {} : { payload }), ...(ct === undefined ? {} : { contentType: ct }) };
}

/** Bodies a route would accept but for one free-form field nested deep (or not). */
export function validLooking(r: Rng): string[] {
  return [r.pick([10, 33]), r.pick([6000, 20_000])].flatMap((levels) => {
    const deep = deepText(levels);
    return [
      `{"meta":{"a":${deep}}}`,
      `{"user_ids":["bob"],"text":"x","data":${deep}}`,
      `{"cmid":"c${r.int(1e6)}","conv_type":"single","to":"bob","type":"custom","content":{"data":${deep}}}`,
      `{"from":"alice","conv_type":"single","to":"bob","type":"custom","content":{"data":${deep}}}`,
      `{"user_id":"u${r.int(1e6)}","meta":${deep}}`,
    ];
  });
}

/** A path parameter: realistic, hostile, or badly encoded. */
export function pathParam(r: Rng): string {
  if (r.chance(0.5)) return r.pick(['alice', 'bob', 'team', 's:alice:bob', 'g:team', '1']);
  return r.pick([
    'alice', 'bob', 'team', 'ghost', 's:alice:bob', 'g:team', '1', '0', '-1', '3e999', '2.9', '0x10', '%E0%A4%A', '%00', '%2F..%2F',
    'a'.repeat(300), encodeURIComponent('\ud83d\ude00'), ' ', '%20', 'null', String(Number.MAX_SAFE_INTEGER) + '9',
  ]);
}

export function queryValue(r: Rng): string {
  return r.pick(['1', '0', '-1', '1.9', '0x10', '1e3', '', 'abc', '999999999999999999999', '%zz', 'alice', 's:alice:bob', 'true', '[]']);
}

/** A value a route would accept for a path parameter of this name. */
export function realisticParam(name: string): string {
  const byName: Record<string, string> = { user_id: 'alice', other_id: 'bob', group_id: 'team', conv_id: 's:alice:bob', seq: '1', file: 'none.txt' };
  return byName[name] ?? 'alice';
}
