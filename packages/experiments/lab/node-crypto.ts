/**
 * node:crypto's createHash('sha256'), as much of it as the lab bundle needs (study/seeds.ts:
 * createHash('sha256').update(text).digest().readUIntBE(0, 6)), on @noble/hashes' SHA-256, so
 * that trial seeds in the page are the CLI's to the bit (tested against Node's crypto in
 * test/lab-seeds.test.ts). The build maps node:crypto here for the lab bundle only.
 */
import { sha256 } from '@noble/hashes/sha2.js';

/** The digest as seeds.ts reads it: bytes with Buffer's readUIntBE. */
class Digest extends Uint8Array {
  /** The unsigned big-endian integer in bytes offset .. offset + length - 1 (length <= 6, as Buffer's). */
  readUIntBE(offset: number, length: number): number {
    if (!(length >= 1 && length <= 6)) throw new RangeError(`readUIntBE: length must be 1..6, got ${length}`);
    let value = 0;
    for (let i = 0; i < length; i++) value = value * 256 + this[offset + i];
    return value;
  }
}

class Sha256 {
  private readonly parts: Uint8Array[] = [];
  update(text: string): this {
    this.parts.push(new TextEncoder().encode(text));
    return this;
  }
  digest(): Digest {
    const total = this.parts.reduce((n, p) => n + p.length, 0);
    const bytes = new Uint8Array(total);
    let at = 0;
    for (const p of this.parts) {
      bytes.set(p, at);
      at += p.length;
    }
    return new Digest(sha256(bytes));
  }
}

export function createHash(algorithm: string): Sha256 {
  if (algorithm !== 'sha256') throw new Error(`createHash: the lab bundle has sha256 only, not ${algorithm}`);
  return new Sha256();
}
