import { Transform } from 'node:stream';
import { sha256Hash } from './sha256.js';

/** Passes bytes through, counting them and computing their sha256 (for downloads, uploads and backups). */
export class HashMeter extends Transform {
  bytes = 0;
  private readonly hash = sha256Hash();
  private readonly onBytes: (bytes: number) => void;

  constructor(onBytes: (bytes: number) => void = () => {}) {
    super();
    this.onBytes = onBytes;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null, data?: Buffer) => void): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    this.onBytes(this.bytes);
    callback(null, chunk);
  }

  /** The hex digest; call once, after the stream ended. */
  digest(): string {
    return this.hash.digest('hex');
  }
}
