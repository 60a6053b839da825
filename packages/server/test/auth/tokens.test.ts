import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, decodeProtectedHeader } from 'jose';
import { ParleyError } from '@parley/protocol';
import { loadOrCreateSigningKeys, readPublicJwks, rotateSigningKeys, PUBLIC_FILE, SIGNING_FILE } from '../../src/auth/keys.js';
import { TokenIssuer } from '../../src/auth/token-issuer.js';
import { TokenVerifier } from '../../src/auth/token-verifier.js';

const isCode = (code: string) => (err: unknown) => err instanceof ParleyError && err.code === code;

describe('signing keys and tokens', () => {
  const dirs: string[] = [];
  const tmp = async () => {
    const d = await mkdtemp(join(tmpdir(), 'parley-keys-'));
    dirs.push(d);
    return d;
  };
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  let dir: string;
  before(async () => {
    dir = await tmp();
  });

  it('creates a key pair on first use and loads the same one afterwards', async () => {
    const a = await loadOrCreateSigningKeys(dir);
    const b = await loadOrCreateSigningKeys(dir);
    assert.equal(a.kid, b.kid);
    assert.equal(a.publicJwks.length, 1);
    assert.deepEqual(a.publicJwks, b.publicJwks);
    const pub = a.publicJwks[0];
    assert.deepEqual({ kty: pub.kty, crv: pub.crv, kid: pub.kid, alg: pub.alg }, { kty: 'OKP', crv: 'Ed25519', kid: a.kid, alg: 'EdDSA' });
    assert.equal('d' in pub, false, 'the public set holds no private material');
    assert.deepEqual(await readPublicJwks(dir), a.publicJwks);
    const priv = JSON.parse(await readFile(join(dir, SIGNING_FILE), 'utf8'));
    assert.equal(typeof priv.d, 'string');
    if (process.platform !== 'win32') assert.equal((await stat(join(dir, SIGNING_FILE))).mode & 0o077, 0, 'private key file is owner-only');
    assert.equal(JSON.parse(await readFile(join(dir, PUBLIC_FILE), 'utf8')).keys.some((k: object) => 'd' in k), false);
  });

  it('issues a token that verifies to its claims, with the kid in the header', async () => {
    const keys = await loadOrCreateSigningKeys(dir);
    const issuer = new TokenIssuer({ keys, ttlSec: 600 });
    const before = Date.now();
    const { token, expires_at } = await issuer.issue('app1', 'alice');
    assert.equal(decodeProtectedHeader(token).kid, keys.kid);
    assert.equal(decodeProtectedHeader(token).alg, 'EdDSA');
    const v = await new TokenVerifier(keys.publicJwks).verify(token);
    assert.equal(v.app_id, 'app1');
    assert.equal(v.user_id, 'alice');
    assert.equal(v.exp_ms, expires_at);
    assert.equal(v.exp_ms - v.iat_ms, 600_000);
    assert.ok(v.iat_ms <= Date.now() && v.iat_ms >= Math.floor(before / 1000) * 1000);
    assert.match(v.jti, /^[0-9a-f-]{36}$/);
    const other = await issuer.issue('app1', 'alice');
    assert.notEqual((await new TokenVerifier(keys.publicJwks).verify(other.token)).jti, v.jti);
  });

  it('rejects tokens signed by another key, tampered or malformed as token_invalid', async () => {
    const keys = await loadOrCreateSigningKeys(dir);
    const verifier = new TokenVerifier(keys.publicJwks);
    const strangerKeys = await loadOrCreateSigningKeys(await tmp());
    const stranger = await new TokenIssuer({ keys: strangerKeys, ttlSec: 600 }).issue('app1', 'alice');
    await assert.rejects(verifier.verify(stranger.token), isCode('token_invalid'), 'unknown kid');
    // Another key claiming our kid: the signature check must fail.
    const forged = await new TokenIssuer({ keys: { kid: keys.kid, privateKey: strangerKeys.privateKey }, ttlSec: 600 }).issue('app1', 'alice');
    await assert.rejects(verifier.verify(forged.token), isCode('token_invalid'), 'forged kid');
    const good = (await new TokenIssuer({ keys, ttlSec: 600 }).issue('app1', 'alice')).token;
    const [h, p, s] = good.split('.');
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
    const tampered = [h, Buffer.from(JSON.stringify({ ...payload, sub: 'mallory' })).toString('base64url'), s].join('.');
    await assert.rejects(verifier.verify(tampered), isCode('token_invalid'), 'tampered payload');
    await assert.rejects(verifier.verify('garbage'), isCode('token_invalid'));
    await assert.rejects(verifier.verify(''), isCode('token_invalid'));
    // Right key, but a claim missing.
    const noApp = await new SignJWT({}).setProtectedHeader({ alg: 'EdDSA', kid: keys.kid }).setSubject('alice')
      .setIssuedAt().setExpirationTime('1h').setJti('j').sign(keys.privateKey);
    await assert.rejects(verifier.verify(noApp), isCode('token_invalid'), 'missing app claim');
  });

  it('reports an expired token as token_expired', async () => {
    const keys = await loadOrCreateSigningKeys(dir);
    const verifier = new TokenVerifier(keys.publicJwks);
    const expired = await new TokenIssuer({ keys, ttlSec: -60 }).issue('app1', 'alice');
    await assert.rejects(verifier.verify(expired.token), isCode('token_expired'));
    // The verifier's clock decides, within its tolerance.
    const t = await new TokenIssuer({ keys, ttlSec: 60 }).issue('app1', 'alice');
    await new TokenVerifier(keys.publicJwks, { now: () => Date.now() + 62_000 }).verify(t.token); // within 5 s tolerance
    await assert.rejects(new TokenVerifier(keys.publicJwks, { now: () => Date.now() + 120_000 }).verify(t.token), isCode('token_expired'));
  });

  it('keeps tokens of older keys valid after a rotation, and signs new ones with the new key', async () => {
    const d = await tmp();
    const first = await loadOrCreateSigningKeys(d);
    const oldToken = (await new TokenIssuer({ keys: first, ttlSec: 600 }).issue('app1', 'alice')).token;
    const second = await rotateSigningKeys(d);
    assert.notEqual(second.kid, first.kid);
    assert.deepEqual(second.publicJwks.map((k) => k.kid), [second.kid, first.kid]);
    const reloaded = await loadOrCreateSigningKeys(d);
    assert.equal(reloaded.kid, second.kid, 'the rotation persisted');
    assert.deepEqual(reloaded.publicJwks, second.publicJwks);

    const issuer = new TokenIssuer({ keys: first, ttlSec: 600 });
    issuer.useKeys(second);
    const newToken = (await issuer.issue('app1', 'bob')).token;
    assert.equal(decodeProtectedHeader(newToken).kid, second.kid);
    const verifier = new TokenVerifier(await readPublicJwks(d));
    assert.equal((await verifier.verify(oldToken)).user_id, 'alice');
    assert.equal((await verifier.verify(newToken)).user_id, 'bob');
    // A verifier that only knew the old set learns the new key by setKeys.
    const stale = new TokenVerifier(first.publicJwks);
    await assert.rejects(stale.verify(newToken), isCode('token_invalid'));
    stale.setKeys(second.publicJwks);
    assert.equal((await stale.verify(newToken)).user_id, 'bob');

    // Dropping old keys (keepPrevious: 0) ends their tokens.
    const third = await rotateSigningKeys(d, { keepPrevious: 0 });
    assert.deepEqual(third.publicJwks.map((k) => k.kid), [third.kid]);
    await assert.rejects(new TokenVerifier(third.publicJwks).verify(oldToken), isCode('token_invalid'));
  });

  it('requires the issuer claim when configured', async () => {
    const keys = await loadOrCreateSigningKeys(dir);
    const withIss = (await new TokenIssuer({ keys, ttlSec: 60, issuer: 'parley' }).issue('app1', 'alice')).token;
    const without = (await new TokenIssuer({ keys, ttlSec: 60 }).issue('app1', 'alice')).token;
    const verifier = new TokenVerifier(keys.publicJwks, { issuer: 'parley' });
    assert.equal((await verifier.verify(withIss)).user_id, 'alice');
    await assert.rejects(verifier.verify(without), isCode('token_invalid'));
  });

  it('refuses private keys and keys without a kid', async () => {
    const priv = JSON.parse(await readFile(join(dir, SIGNING_FILE), 'utf8'));
    assert.throws(() => new TokenVerifier([priv]), /public keys only/);
    const keys = await loadOrCreateSigningKeys(dir);
    const { kid: _kid, ...noKid } = keys.publicJwks[0];
    assert.throws(() => new TokenVerifier([noKid]), /kid/);
  });
});
