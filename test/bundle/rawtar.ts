/**
 * A tiny tar writer for hostile archives (tests only): it writes exactly the entries it is given,
 * however wrong (names with '..', a file and a directory of one name, links, pax paths of any length,
 * a header size larger than the data that follows), and can stream gigabytes of zeros through gzip
 * without holding them, so bombs are generated in the test and never committed.
 */

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { createGzip, constants as zc } from 'node:zlib';

export interface RawEntry {
  name: string;
  /** tar typeflag: '0' file, '5' directory, '2' symlink, '1' hard link, '3'/'4' devices, '6' FIFO */
  type?: string;
  /** content; or a count of zero bytes streamed without allocating them */
  data?: Buffer | { zeros: number };
  /** size written in the header (default: the content length) */
  headerSize?: number;
  linkname?: string;
  /** put the name in a pax 'x' header (long names) instead of the 100-byte field */
  pax?: boolean;
}

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, '0')}\0`;
}

export function header(name: string, type: string, size: number, linkname = ''): Buffer {
  const h = Buffer.alloc(512);
  h.write(name.slice(0, 100), 0, 'latin1');
  h.write(octal(0o644, 8), 100, 'latin1');
  h.write(octal(0, 8), 108, 'latin1');
  h.write(octal(0, 8), 116, 'latin1');
  h.write(octal(size, 12), 124, 'latin1');
  h.write(octal(1_700_000_000, 12), 136, 'latin1');
  h.write('        ', 148, 'latin1');
  h.write(type, 156, 'latin1');
  h.write(linkname.slice(0, 100), 157, 'latin1');
  h.write('ustar\0', 257, 'latin1');
  h.write('00', 263, 'latin1');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return h;
}

function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len)
    len = String(len).length + Buffer.byteLength(body);
  return Buffer.from(`${len}${body}`);
}

const pad = (n: number) => (512 - (n % 512)) % 512;

/** The tar blocks of `entries` (zeros streamed in 1 MiB pieces), then the two end blocks. */
export function* tarChunks(entries: RawEntry[]): Generator<Buffer> {
  const ZERO = Buffer.alloc(1 << 20);
  for (const e of entries) {
    const type = e.type ?? '0';
    const dataLen = e.data === undefined ? 0 : Buffer.isBuffer(e.data) ? e.data.length : e.data.zeros;
    const size = e.headerSize ?? dataLen;
    if (e.pax) {
      const rec = paxRecord('path', e.name);
      yield header('PaxHeader', 'x', rec.length);
      yield Buffer.concat([rec, Buffer.alloc(pad(rec.length))]);
    }
    yield header(e.pax ? 'long-name-in-pax' : e.name, type, size, e.linkname);
    if (e.data !== undefined) {
      if (Buffer.isBuffer(e.data)) yield e.data;
      else
        for (let left = e.data.zeros; left > 0; left -= ZERO.length)
          yield ZERO.subarray(0, Math.min(left, ZERO.length));
    }
    if (dataLen === size) yield Buffer.alloc(pad(size));
  }
  yield Buffer.alloc(1024);
}

/** Write entries as a .tar.gz (level 9 for bombs: 1 GB of zeros is about 1 MB). */
export async function writeRawTarGz(path: string, entries: RawEntry[], level = 9): Promise<void> {
  const gz = createGzip({ level, strategy: zc.Z_DEFAULT_STRATEGY });
  const out = createWriteStream(path);
  gz.pipe(out);
  for (const c of tarChunks(entries)) if (!gz.write(c)) await once(gz, 'drain');
  gz.end();
  await once(out, 'close');
}

/** A classic pcap global header (Ethernet). */
export function pcapHeader(): Buffer {
  const b = Buffer.alloc(24);
  b.writeUInt32LE(0xa1b2c3d4, 0);
  b.writeUInt16LE(2, 4);
  b.writeUInt16LE(4, 6);
  b.writeUInt32LE(262144, 16);
  b.writeUInt32LE(1, 20);
  return b;
}
