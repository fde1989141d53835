/**
 * The /proc/net/tcp* scanner (char codes, no split per row; and a read at a time) gives the rows
 * the plain parser gave: that parser is kept here as the reference, and both run over crafted
 * tables (real rows, LISTEN rows in both cases, odd whitespace, non-ASCII, cut rows, bad UTF-8).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeProcAddress,
  type Endianness,
  ProcNetTcpScanner,
  type ProcTcpParse,
  parseProcNetTcp,
} from '../../src/host/listeners.js';

/** The parser as it was before the scanner (split per line, trim, split on whitespace). */
function reference(text: string, endian: Endianness = 'le'): ProcTcpParse {
  const listeners: ProcTcpParse['listeners'] = [];
  let others = 0;
  for (const line of String(text).split(/\r?\n/)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || !/^\d+:$/.test(f[0]!)) continue;
    const local = decodeProcAddress(f[1]!, endian);
    if (!local) continue;
    const st = f[3]!.toUpperCase();
    if (st !== '0A') {
      if (/^[0-9A-F]{2}$/.test(st)) others++;
      continue;
    }
    const uid = f[7] !== undefined && /^\d+$/.test(f[7]) ? Number(f[7]) : null;
    const inode = f[9] !== undefined && /^\d+$/.test(f[9]) ? f[9] : null;
    const v4Mapped =
      local.family === 'ipv6' && local.address.startsWith('::ffff:') && local.address.includes('.');
    listeners.push({
      family: local.family,
      address: local.address,
      port: local.port,
      uid,
      inode,
      dualStack: local.family === 'ipv6' && local.address === '::',
      v4Mapped,
    });
  }
  return { listeners, others };
}

/** The scanner fed the UTF-8 bytes of text in chunks of the given sizes (cycled). */
function chunked(bytes: Buffer, sizes: number[], endian: Endianness = 'le'): ProcTcpParse {
  const s = new ProcNetTcpScanner(endian);
  const reused = Buffer.alloc(Math.max(...sizes, 1));
  for (let at = 0, k = 0; at < bytes.length; k++) {
    const n = Math.min(sizes[k % sizes.length]!, bytes.length - at);
    bytes.copy(reused, 0, at, at + n);
    s.push(reused.subarray(0, n));
    reused.fill(0x41); // the scanner must not keep the caller's buffer
    at += n;
  }
  return s.end();
}

const HEAD =
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
const V4_LISTEN =
  '   0: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 21001 1 ffff 100 0 0 10 0';
const V4_TW =
  '  17: 0200A8C6:1F90 0100A8C6:D2F0 06 00000000:00000000 03:00000F2B 00000000     0        0 0 3 0000000000000000';
const V6_LISTEN =
  '   0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0a 00000000:00000000 00:00000000 00000000  1000        0 33002 1 ffff 100 0 0 10 0';
const V6_MAPPED =
  '   2: 0000000000000000FFFF00000500000A:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 31002 1 ffff 100 0 0 10 0';
const V6_EST =
  '   3: B80D0120000005000000000010000000:0050 B80D01200000FFFF0000000000010000:C350 01 00000000:00000000 00:00000000 00000000     0        0 52000 1 ffff 20 4 30 10 -1';

/** pieces rows are built from, the odd ones included */
const ROWS = [
  HEAD.trimEnd(),
  V4_LISTEN,
  V4_TW,
  V6_LISTEN,
  V6_MAPPED,
  V6_EST,
  '',
  '   ',
  '\t 5: 0100007F:0019\t00000000:0000  0a x y z 1000 q 777',
  '5: 0100007F:0019 0 0A',
  '5: 0100007F:0019 0',
  '5 0100007F:0019 0 0A',
  ':: 0100007F:0019 0 0A',
  '5: 0100007G:0019 0 0A',
  '5: 0100007F:019 0 0A',
  '5: 0100007F0019 0 0A',
  '5: 0100007F:0019 0 A',
  '5: 0100007F:0019 0 0AA',
  '5: 0100007F:0019 0 zz',
  '5: 0100007F:0019 0 ff',
  '5: 0100007F:0019 0 \ufb00', // 'ﬀ'.toUpperCase() is 'FF'
  '5: 0100007F:0019\u00a000000000:0000 0A',
  '5:\u30000100007F:0019 0 0A',
  '\u20285: 0100007F:0019 0 01',
  '5: 0100007F:0019 0 0A é 0 0 0 0 1',
  '5: 0100007F:0019 0 01\r',
  '5: 0100007F:0019 0\r0A 1 2 3 4 5 6',
  '5: 0100007F:0019 0 0A 1 2 3 4 -5 6',
  '٣: 0100007F:0019 0 0A',
];

describe('/proc/net/tcp scanner', () => {
  it('gives the reference rows on the fixed tables', () => {
    const text = `${ROWS.join('\n')}\n`;
    for (const endian of ['le', 'be'] as const) {
      const want = reference(text, endian);
      expect(want.listeners.length).toBeGreaterThan(3);
      expect(want.others).toBeGreaterThan(3);
      expect(parseProcNetTcp(text, endian)).toEqual(want);
      expect(parseProcNetTcp(text.replace(/\n/g, '\r\n'), endian)).toEqual(
        reference(text.replace(/\n/g, '\r\n'), endian),
      );
      for (const sizes of [[1], [7], [64], [100, 3, 1000], [1 << 16]])
        expect(chunked(Buffer.from(text), sizes, endian)).toEqual(want);
    }
  });

  it('gives the reference rows on random tables, whole and in random chunks', () => {
    const row = fc.oneof(
      fc.constantFrom(...ROWS),
      fc.string({ maxLength: 40 }),
      // a real row with one character changed
      fc
        .tuple(
          fc.constantFrom(V4_LISTEN, V4_TW, V6_LISTEN, V6_EST),
          fc.nat(),
          fc.string({ minLength: 1, maxLength: 2 }),
        )
        .map(([r, at, c]) => r.slice(0, at % r.length) + c + r.slice((at % r.length) + 1)),
    );
    fc.assert(
      fc.property(
        fc.array(row, { maxLength: 30 }),
        fc.constantFrom('\n', '\r\n'),
        fc.boolean(),
        fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 5 }),
        (rows, eol, cut, sizes) => {
          let text = rows.join(eol) + eol;
          if (cut) text = text.slice(0, Math.floor(text.length / 2)); // a table cut at its cap
          const want = reference(text);
          expect(parseProcNetTcp(text)).toEqual(want);
          expect(chunked(Buffer.from(text), sizes)).toEqual(want);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('bytes that are not UTF-8 (and a cut in a sequence) read as the whole file decoded at once', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.constantFrom(...ROWS.map((r) => Buffer.from(`${r}\n`))),
            fc.uint8Array({ maxLength: 12 }).map((b) => Buffer.from(b)),
            fc.constantFrom(Buffer.from([0xe2, 0x82]), Buffer.from([0xc3]), Buffer.from([0xf0, 0x9f, 0x98])),
          ),
          { maxLength: 20 },
        ),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 4 }),
        (parts, sizes) => {
          const bytes = Buffer.concat(parts);
          expect(chunked(bytes, sizes)).toEqual(reference(bytes.toString('utf8')));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('a table of 60,000 TIME_WAIT rows around a few listeners', () => {
    const rows = [HEAD.trimEnd(), V4_LISTEN];
    for (let i = 0; i < 60_000; i++) rows.push(V4_TW.replace('  17:', `${String(i).padStart(5)}:`));
    rows.push(V6_MAPPED);
    const text = `${rows.join('\n')}\n`;
    const got = chunked(Buffer.from(text), [65536]);
    expect(got.others).toBe(60_000);
    expect(got.listeners.map((l) => `${l.address}:${l.port}`)).toEqual(['0.0.0.0:80', '::ffff:10.0.0.5:22']);
    expect(parseProcNetTcp(text)).toEqual(got);
  });
});
