import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hashPassword, verifyPassword } from '../../src/auth/password.js';

const FAST = { N: 1024, r: 8, p: 1 };

describe('password hashing', () => {
  it('hashes with the default parameters into the documented format, and verifies', async () => {
    const stored = await hashPassword('correct horse battery staple');
    const parts = stored.split('$');
    assert.equal(parts.length, 6);
    assert.deepEqual(parts.slice(0, 4), ['scrypt', '16384', '8', '1']);
    assert.equal(Buffer.from(parts[4], 'base64').length, 16);
    assert.equal(Buffer.from(parts[5], 'base64').length, 32);
    assert.equal(await verifyPassword('correct horse battery staple', stored), true);
    assert.equal(await verifyPassword('correct horse battery stapler', stored), false);
  });

  it('salts every hash', async () => {
    const a = await hashPassword('pw', FAST);
    const b = await hashPassword('pw', FAST);
    assert.notEqual(a, b);
    assert.equal(await verifyPassword('pw', a), true);
    assert.equal(await verifyPassword('pw', b), true);
  });

  it('verifies with the parameters stored in the hash', async () => {
    const stored = await hashPassword('pw', { N: 2048, r: 4, p: 2 });
    assert.ok(stored.startsWith('scrypt$2048$4$2$'));
    assert.equal(await verifyPassword('pw', stored), true);
    assert.equal(await verifyPassword('', stored), false);
  });

  it('treats unicode consistently (NFKC) and is case sensitive', async () => {
    const stored = await hashPassword('caf\u00e9', FAST);
    assert.equal(await verifyPassword('cafe\u0301', stored), true);
    assert.equal(await verifyPassword('CAF\u00c9', stored), false);
  });

  it('returns false for unreadable or hostile stored values instead of throwing', async () => {
    const good = await hashPassword('pw', FAST);
    const [, , , , salt, hash] = good.split('$');
    for (const bad of [
      '', 'pw', 'bcrypt$1$2$3$4$5', `scrypt$1000$8$1$${salt}$${hash}`, // N not a power of two
      `scrypt$1073741824$8$1$${salt}$${hash}`, // would need 128 GiB
      `scrypt$1024$0$1$${salt}$${hash}`, `scrypt$1024$8$1$$${hash}`, `scrypt$1024$8$1$${salt}$`,
      `scrypt$1024$8$1$${salt}$${hash}$extra`,
    ]) {
      assert.equal(await verifyPassword('pw', bad), false, bad);
    }
    assert.equal(await verifyPassword('pw', good), true);
  });
});
