import { randomUUID } from 'node:crypto';
import { SignJWT, type CryptoKey } from 'jose';
import { SIGNING_ALG } from './keys.js';

/**
 * Issues user tokens: compact JWS (alg EdDSA) signed with the platform's
 * current private key, the key id in the header so verifiers holding several
 * public keys (rotation) pick the right one.
 *
 * Claims: sub = user id, app = app id, iat and exp in seconds (JWT), jti a
 * random id (lets a future deny-list name one token). iat has second
 * precision; revocation checks must treat a token issued in the revocation
 * second as revoked.
 */
export interface IssuedToken {
  token: string;
  /** expiry, in milliseconds since the epoch (like every other time in the API) */
  expires_at: number;
}

export interface TokenIssuerOptions {
  /** the current signing key; a SigningKeys from keys.ts fits */
  keys: { kid: string; privateKey: CryptoKey };
  /** default lifetime of a token */
  ttlSec: number;
  /** optional `iss` claim; a TokenVerifier given the same issuer then requires it */
  issuer?: string;
  /** clock in ms (tests) */
  now?: () => number;
}

export class TokenIssuer {
  private keys: { kid: string; privateKey: CryptoKey };
  private readonly now: () => number;

  constructor(private readonly opts: TokenIssuerOptions) {
    if (!Number.isFinite(opts.ttlSec)) throw new TypeError('ttlSec must be a number');
    this.keys = opts.keys;
    this.now = opts.now ?? Date.now;
  }

  /** Switch to a new current key (after rotateSigningKeys); tokens already issued stay valid. */
  useKeys(keys: { kid: string; privateKey: CryptoKey }): void {
    this.keys = keys;
  }

  async issue(appId: string, userId: string, opts: { ttlSec?: number } = {}): Promise<IssuedToken> {
    const iat = Math.floor(this.now() / 1000);
    const exp = iat + Math.trunc(opts.ttlSec ?? this.opts.ttlSec);
    const jwt = new SignJWT({ app: appId })
      .setProtectedHeader({ alg: SIGNING_ALG, kid: this.keys.kid, typ: 'JWT' })
      .setSubject(userId)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .setJti(randomUUID());
    if (this.opts.issuer !== undefined) jwt.setIssuer(this.opts.issuer);
    return { token: await jwt.sign(this.keys.privateKey), expires_at: exp * 1000 };
  }
}
