import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Sha256, sha256Hex } from './sha256.js';

describe('sha256Hex', () => {
  it('matches the FIPS 180-4 examples', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
  });

  it('matches node:crypto for every length around the block and padding boundaries, in any chunking', () => {
    const bytes = new Uint8Array(300).map((_, i) => (i * 131 + 7) & 0xff);
    for (let n = 0; n <= 300; n++) {
      const data = bytes.subarray(0, n);
      const expected = createHash('sha256').update(data).digest('hex');
      expect(sha256Hex(data), `length ${n}`).toBe(expected);
      const cut = Math.floor(n / 3);
      expect(new Sha256().update(data.subarray(0, cut)).update(data.subarray(cut)).digestHex()).toBe(expected);
    }
  });

  it('hashes strings as UTF-8 and ArrayBuffers as bytes', () => {
    expect(sha256Hex('σ→∞', new Uint8Array([1, 2]).buffer)).toBe(
      createHash('sha256')
        .update('σ→∞')
        .update(Buffer.from([1, 2]))
        .digest('hex'),
    );
  });
});
