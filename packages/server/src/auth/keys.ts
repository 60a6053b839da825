import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';

/**
 * The platform's token signing keys (Ed25519, JWS alg EdDSA).
 *
 * On disk, in one directory:
 * - `signing.jwk.json`  the current private key as a JWK with its `kid` (mode 0600).
 *                       Only the api role (the token issuer) needs it.
 * - `public.jwks.json`  `{ keys: [...] }`, every public key still accepted, newest
 *                       first. Links need only this file: they verify, never sign.
 *
 * The kid is the key's RFC 7638 thumbprint, so it is stable and needs no registry.
 * Rotation makes a new current key and keeps the older public keys, so tokens
 * signed before the rotation stay valid until they expire.
 */
export const SIGNING_FILE = 'signing.jwk.json';
export const PUBLIC_FILE = 'public.jwks.json';
export const SIGNING_ALG = 'EdDSA';

export interface SigningKeys {
  /** key id of the current signing key (goes into each token's header) */
  kid: string;
  privateKey: CryptoKey;
  /** every public key accepted for verification, current first; each has kid, alg and use */
  publicJwks: JWK[];
}

export interface RotateOptions {
  /** how many previous public keys to keep besides the new one (default: all) */
  keepPrevious?: number;
}

/** Load the keys in `dir`, generating and persisting a first key pair when there is none. */
export async function loadOrCreateSigningKeys(dir: string): Promise<SigningKeys> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  let priv = await readJson<JWK>(join(dir, SIGNING_FILE));
  if (!priv) {
    const fresh = await generate();
    try {
      // 'wx': when two processes start on an empty directory, one wins and the other reads its key.
      await writeFile(join(dir, SIGNING_FILE), JSON.stringify(fresh.priv), { flag: 'wx', mode: 0o600 });
      priv = fresh.priv;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      priv = await readJson<JWK>(join(dir, SIGNING_FILE));
      if (!priv) throw new Error(`could not read ${SIGNING_FILE} in ${dir}`);
    }
  }
  // A missing public file is rebuilt from the private key; a corrupt one is an error,
  // since overwriting it would silently drop the older keys still in use.
  const set = await readJson<unknown>(join(dir, PUBLIC_FILE));
  return assemble(dir, priv, set === undefined ? [] : keysOf(set));
}

/** Make a new current key; older public keys stay in the public set. */
export async function rotateSigningKeys(dir: string, opts: RotateOptions = {}): Promise<SigningKeys> {
  const current = await loadOrCreateSigningKeys(dir);
  const fresh = await generate();
  const keep = opts.keepPrevious ?? Infinity;
  const publicJwks = [fresh.pub, ...current.publicJwks.slice(0, keep)];
  // Publish the new public key before signing with it: a crash in between
  // leaves an unused public key, never a token nobody can verify.
  await writeAtomic(join(dir, PUBLIC_FILE), JSON.stringify({ keys: publicJwks }, null, 2), 0o644);
  await writeAtomic(join(dir, SIGNING_FILE), JSON.stringify(fresh.priv), 0o600);
  return { kid: fresh.pub.kid!, privateKey: await toPrivateKey(fresh.priv), publicJwks };
}

/** The public key set of `dir` (what a link loads). Throws when the file is missing. */
export async function readPublicJwks(dir: string): Promise<JWK[]> {
  const set = await readJson<unknown>(join(dir, PUBLIC_FILE));
  if (set === undefined) throw new Error(`no ${PUBLIC_FILE} in ${dir}`);
  return keysOf(set);
}

function keysOf(set: unknown): JWK[] {
  const keys = (set as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new Error(`${PUBLIC_FILE} has no "keys" array`);
  return keys as JWK[];
}

/** The public half of a private JWK, marked for EdDSA signatures. */
export function publicOf(priv: JWK): JWK {
  const { kty, crv, x, kid } = priv;
  return { kty, crv, x, kid, alg: SIGNING_ALG, use: 'sig' };
}

async function assemble(dir: string, priv: JWK, publicJwks: JWK[]): Promise<SigningKeys> {
  if (!priv.kid) throw new Error(`${SIGNING_FILE} in ${dir} has no kid`);
  if (!publicJwks.some((k) => k.kid === priv.kid)) {
    // First start, or the public file was lost: the current key must always verify.
    publicJwks = [publicOf(priv), ...publicJwks];
    await writeAtomic(join(dir, PUBLIC_FILE), JSON.stringify({ keys: publicJwks }, null, 2), 0o644);
  }
  return { kid: priv.kid, privateKey: await toPrivateKey(priv), publicJwks };
}

async function generate(): Promise<{ priv: JWK; pub: JWK }> {
  const pair = await generateKeyPair(SIGNING_ALG, { crv: 'Ed25519', extractable: true });
  const priv = await exportJWK(pair.privateKey);
  priv.kid = await calculateJwkThumbprint(priv);
  priv.alg = SIGNING_ALG;
  return { priv, pub: publicOf(priv) };
}

async function toPrivateKey(priv: JWK): Promise<CryptoKey> {
  const key = await importJWK(priv, SIGNING_ALG);
  if (key instanceof Uint8Array) throw new Error('signing key is not an asymmetric key');
  return key;
}

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Write then rename, so a reader never sees half a file. */
async function writeAtomic(path: string, data: string, mode: number): Promise<void> {
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, data, { mode });
  await rename(tmp, path);
}
