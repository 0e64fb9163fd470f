import type * as NodeCrypto from 'node:crypto';
import { createRequire } from 'node:module';

let crypto: typeof NodeCrypto | undefined;

/**
 * A sha256 hash, from Node's crypto module loaded on first use: validate, list and show hash
 * nothing, and the module (with the dozen it loads) is a large part of such a short command.
 */
export function sha256Hash(): NodeCrypto.Hash {
  crypto ??= createRequire(import.meta.url)('node:crypto') as typeof NodeCrypto;
  return crypto.createHash('sha256');
}
