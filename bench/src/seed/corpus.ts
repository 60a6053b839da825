import { singleConvId } from '@parley/protocol';

/**
 * Deterministic chat text in Chinese and English for the history and search
 * data set, and the layout of who talks to whom. Words are drawn from a
 * Zipf distribution, as in real chat: a few words are everywhere, most are
 * rare, so queries at different ranks exercise both a search that matches
 * much of the store and one that matches little. Chinese words are written
 * without spaces, as Chinese is; English words with spaces.
 */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const EN_COMMON = ('meeting project deadline budget release customer order invoice report update review design ' +
  'deploy server database payment refund shipping schedule roadmap feature bug ticket sprint launch contract ' +
  'marketing campaign analytics dashboard security backup network mobile version feedback support training ' +
  'quarter revenue partner vendor approval document template holiday weekend morning afternoon tomorrow').split(' ');
const ZH_COMMON = ('会议 项目 进度 明天 客户 订单 问题 上线 测试 需求 北京 上海 发货 退款 合同 预算 报告 设计 ' +
  '服务器 数据库 支付 版本 反馈 培训 季度 收入 合作 审批 文档 周末 上午 下午 产品 经理 开发 运营 市场 活动 ' +
  '用户 体验 性能 优化 部署 安全 网络 手机 消息 通知').split(' ');
const ZH_CHARS = '的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处理世车'.split('');
const SYL = ['ka', 'lo', 'mi', 'ten', 'ra', 'vo', 'sen', 'tri', 'pla', 'gor', 'nu', 'bex', 'dal', 'quo', 'fin', 'zu', 'wer', 'hop', 'sta', 'lin'];

function vocab(seed: number): { en: string[]; zh: string[] } {
  const r = prng(seed);
  const en = [...EN_COMMON];
  const seenEn = new Set(en);
  while (en.length < 1500) {
    const n = 2 + Math.floor(r() * 2);
    let w = '';
    for (let i = 0; i < n; i++) w += SYL[Math.floor(r() * SYL.length)];
    if (!seenEn.has(w)) { seenEn.add(w); en.push(w); }
  }
  const zh = [...ZH_COMMON];
  const seenZh = new Set(zh);
  while (zh.length < 1500) {
    const n = r() < 0.7 ? 2 : 3;
    let w = '';
    for (let i = 0; i < n; i++) w += ZH_CHARS[Math.floor(r() * ZH_CHARS.length)];
    if (!seenZh.has(w)) { seenZh.add(w); zh.push(w); }
  }
  return { en, zh };
}

/** Zipf(s = 1) sampler over ranks 0..n-1 by inverse CDF. */
function zipf(n: number): (u: number) => number {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) cdf[i] = sum += 1 / (i + 1);
  for (let i = 0; i < n; i++) cdf[i] /= sum;
  return (u) => {
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

export const VOCAB = vocab(20260101);

export class TextGen {
  private readonly r: () => number;
  private readonly pick = zipf(1500);
  constructor(seed: number) {
    this.r = prng(seed);
  }
  /** One chat line: 4–10 words, about 55% Chinese. */
  next(): string {
    const n = 4 + Math.floor(this.r() * 7);
    let out = '';
    let prevZh = false;
    for (let i = 0; i < n; i++) {
      const zh = this.r() < 0.55;
      const w = (zh ? VOCAB.zh : VOCAB.en)[this.pick(this.r())];
      out += i === 0 || (zh && prevZh) ? w : ` ${w}`;
      prevZh = zh;
    }
    return out.trim();
  }
}

const zhOfLength = (len: number, ranks: number[]) =>
  ranks.map((r) => VOCAB.zh.find((w, i) => i >= r && [...w].length === len)!);

/**
 * Queries at several frequency ranks (rank 0 is the commonest word). Three
 * sets, because the server answers them differently: English words and
 * 3-character Chinese words go through the trigram index; 2-character Chinese
 * words, the commonest kind of Chinese query, are too short for trigrams.
 */
export const SEARCH_QUERIES = {
  en: [3, 10, 30, 100, 300, 1000].map((r) => VOCAB.en[r]),
  zh3: zhOfLength(3, [0, 20, 100, 300, 1000]),
  zh2: zhOfLength(2, [1, 10, 30, 100, 300, 1000]),
};

/** Conversation c is between users a and b; each user is in 2 × (convs / users) conversations. */
export function convUsers(c: number, users: number): [number, number] {
  const a = c % users;
  const k = 1 + Math.floor(c / users);
  return [a, (a + k) % users];
}

export const userId = (i: number) => `h${i}`;
export const convIdOf = (c: number, users: number) => {
  const [a, b] = convUsers(c, users);
  return singleConvId(userId(a), userId(b));
};

/** The conversations of user u under the layout above. */
export function convsOfUser(u: number, users: number, convs: number): string[] {
  const out: string[] = [];
  const perUser = Math.ceil(convs / users);
  for (let k = 1; k <= perUser; k++) {
    const asA = (k - 1) * users + u;
    if (asA < convs) out.push(convIdOf(asA, users));
    const a = (u - k + users * 4) % users;
    const asB = (k - 1) * users + a;
    if (asB < convs && a !== u) out.push(convIdOf(asB, users));
  }
  return out;
}
