import { decodeProtectedHeader, errors, importJWK, jwtVerify, type CryptoKey, type JWK } from 'jose';
import { ParleyError } from '@parley/protocol';
import { LruCache } from '../cache/lru-cache.js';
import { SIGNING_ALG } from './keys.js';

/**
 * Verifies user tokens with public keys only, so a link admits clients
 * without a database or a network hop (DESIGN §7). The key is chosen by the
 * token's `kid`; a token without a kid, or with one we do not hold, is invalid.
 *
 * Revocation is not checked here (it needs the store): dispatch compares
 * `iat_ms` with the user's revocation time when the session opens.
 */
export interface VerifiedToken {
  app_id: string;
  user_id: string;
  /** issue time in ms (second precision: the JWT iat times 1000) */
  iat_ms: number;
  exp_ms: number;
  jti: string;
}

export interface TokenVerifierOptions {
  /** required `iss` claim, when the issuer sets one */
  issuer?: string;
  /** tolerated clock skew between issuer and verifier, seconds (default 5) */
  clockToleranceSec?: number;
  /** clock in ms (tests) */
  now?: () => number;
  /** verified tokens kept, by token string (default 10,000; 0 turns the cache off) */
  cacheEntries?: number;
}

/**
 * Verified tokens are cached by the exact token string: the same bytes under
 * the same key set verify the same way, so a client sending its token on
 * every HTTP request pays for the signature check once. A hit still fails
 * once the token's exp has passed (jose's rule and tolerance), and the cache
 * is emptied whenever the key set changes. Revocation is outside the cache
 * on purpose: callers check `iat_ms` against the user's watermark on every
 * use (UserService.isRevoked, invalidated through the control plane).
 * Failures are not cached: an invalid token costs a check every time.
 */
export class TokenVerifier {
  private jwks = new Map<string, JWK>();
  /** imported keys, by kid: importing costs far more than verifying */
  private readonly imported = new Map<string, Promise<CryptoKey>>();
  private readonly verified: LruCache<string, VerifiedToken> | undefined;

  constructor(publicJwks: JWK[], private readonly opts: TokenVerifierOptions = {}) {
    const entries = opts.cacheEntries ?? 10_000;
    this.verified = entries > 0 ? new LruCache(entries) : undefined;
    this.setKeys(publicJwks);
  }

  /** cached verified tokens (tests) */
  get cachedTokens(): number {
    return this.verified?.size ?? 0;
  }

  /** Replace the accepted key set (a link reloading public.jwks.json after a rotation). */
  setKeys(publicJwks: JWK[]): void {
    const next = new Map<string, JWK>();
    for (const jwk of publicJwks) {
      // A private key here means the deployment leaked signing power to a verifier.
      if ('d' in jwk) throw new TypeError('TokenVerifier takes public keys only');
      if (typeof jwk.kid !== 'string' || !jwk.kid) throw new TypeError('every public key needs a kid');
      if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519') throw new TypeError(`key ${jwk.kid} is not an Ed25519 key`);
      next.set(jwk.kid, jwk);
    }
    for (const kid of this.imported.keys()) if (!next.has(kid)) this.imported.delete(kid);
    this.jwks = next;
    // A token signed by a key that was dropped must not keep verifying from the cache.
    this.verified?.clear();
  }

  /** Throws ParleyError token_expired or token_invalid. */
  async verify(token: string): Promise<VerifiedToken> {
    const hit = this.verified?.get(token);
    if (hit) {
      this.checkExpiry(token, hit);
      return { ...hit };
    }
    const t = await this.verifySignature(token);
    this.verified?.set(token, t);
    return { ...t };
  }

  /** jose's exp rule on a cached token: expired once exp <= now - tolerance, in whole seconds. */
  private checkExpiry(token: string, t: VerifiedToken): void {
    const nowSec = Math.floor((this.opts.now ? this.opts.now() : Date.now()) / 1000);
    if (t.exp_ms / 1000 <= nowSec - (this.opts.clockToleranceSec ?? 5)) {
      this.verified?.delete(token);
      throw new ParleyError('token_expired');
    }
  }

  private async verifySignature(token: string): Promise<VerifiedToken> {
    let kid: string | undefined;
    try {
      kid = decodeProtectedHeader(token).kid;
    } catch {
      throw new ParleyError('token_invalid', 'token is not a JWT');
    }
    if (!kid || !this.jwks.has(kid)) throw new ParleyError('token_invalid', 'token was signed with an unknown key');
    try {
      const { payload } = await jwtVerify(token, await this.key(kid), {
        algorithms: [SIGNING_ALG],
        issuer: this.opts.issuer,
        clockTolerance: this.opts.clockToleranceSec ?? 5,
        currentDate: this.opts.now ? new Date(this.opts.now()) : undefined,
        requiredClaims: ['sub', 'app', 'iat', 'exp', 'jti'],
      });
      const { sub, app, iat, exp, jti } = payload;
      if (typeof sub !== 'string' || typeof app !== 'string' || typeof jti !== 'string' || !sub || !app) {
        throw new ParleyError('token_invalid', 'token claims are malformed');
      }
      return { app_id: app, user_id: sub, iat_ms: iat! * 1000, exp_ms: exp! * 1000, jti };
    } catch (err) {
      if (err instanceof ParleyError) throw err;
      if (err instanceof errors.JWTExpired) throw new ParleyError('token_expired');
      if (err instanceof errors.JOSEError) throw new ParleyError('token_invalid');
      throw err;
    }
  }

  private key(kid: string): Promise<CryptoKey> {
    let p = this.imported.get(kid);
    if (!p) {
      p = importJWK(this.jwks.get(kid)!, SIGNING_ALG).then((k) => {
        if (k instanceof Uint8Array) throw new TypeError('not an asymmetric key');
        return k;
      });
      p.catch(() => this.imported.delete(kid)); // do not cache a failed import
      this.imported.set(kid, p);
    }
    return p;
  }
}
