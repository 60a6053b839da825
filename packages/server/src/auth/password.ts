import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Password hashing with scrypt (node:crypto, no native addon).
 *
 * Stored form: `scrypt$N$r$p$saltB64$hashB64`, so parameters can be raised
 * later without invalidating existing hashes: verification uses the
 * parameters written in the stored string. The work runs on libuv's thread
 * pool (async callback API), never on the event loop.
 */
export interface ScryptParams {
  /** CPU/memory cost, a power of two */
  N: number;
  r: number;
  p: number;
}

/** N=2^14, r=8: ~16 MiB and tens of ms per hash, a common interactive-login setting. */
export const DEFAULT_SCRYPT: ScryptParams = { N: 16384, r: 8, p: 1 };

const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Refuse stored parameters beyond this: a tampered row must not make verification eat the machine. */
const MAX_MEM = 256 * 1024 * 1024;

export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, KEY_BYTES, params);
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64'), hash.toString('base64')].join('$');
}

/** True when `password` matches `stored`; false for a wrong password or an unreadable stored value. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number);
  if (!isSmallInt(r) || !isSmallInt(p) || !(N > 1 && N <= MAX_MEM / (128 * r)) || !isPowerOfTwo(N)) return false;
  const salt = Buffer.from(parts[4], 'base64');
  const expected = Buffer.from(parts[5], 'base64');
  if (salt.length === 0 || expected.length < 16 || expected.length > 128) return false;
  const actual = await derive(password, salt, expected.length, { N, r, p });
  return timingSafeEqual(actual, expected);
}

function derive(password: string, salt: Buffer, keylen: number, { N, r, p }: ScryptParams): Promise<Buffer> {
  // Node's default maxmem (32 MiB) rejects N=2^15,r=8; allow what OpenSSL needs: 128·r·(N+p+2) bytes.
  const opts: ScryptOptions = { N, r, p, maxmem: 128 * r * (N + p + 2) + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 1 && n <= 2 ** 30 && (n & (n - 1)) === 0;
}

function isSmallInt(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= 16;
}
