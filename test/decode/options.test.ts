import { describe, expect, it } from 'vitest';
import { decodeOptions, optionText } from '../../src/decode/index.js';
import { ipTcp } from '../helpers/packets.js';
import { decodeBytes, decodeSpec, V4 } from './util.js';

/** decode an option area given as bytes (no padding added) */
function opts(bytes: number[], capturedBytes?: number) {
  const b = Buffer.from([0xaa, 0xbb, ...bytes, 0xcc]); // junk around: the area is [2, 2+len)
  const cend = capturedBytes === undefined ? undefined : 2 + capturedBytes;
  return decodeOptions(b, 2, bytes.length, cend);
}
function text(bytes: number[]): string {
  const b = Buffer.from(bytes);
  return optionText(b, 0, b[0], b[0] <= 1 ? 1 : b[1]);
}

describe('every option kind', () => {
  const cases: Array<[string, number[], Record<string, unknown>, string]> = [
    ['eol', [0], { kind: 0, length: 1, name: 'eol', raw: '00' }, 'eol'],
    ['nop', [1], { kind: 1, length: 1, name: 'nop', raw: '01' }, 'nop'],
    ['mss', [2, 4, 0x05, 0xb4], { name: 'mss', mss: 1460, raw: '020405b4' }, 'mss 1460'],
    ['wscale', [3, 3, 7], { name: 'wscale', wscale: 7 }, 'wscale 7'],
    ['sackOK', [4, 2], { name: 'sackOK', length: 2 }, 'sackOK'],
    [
      'sack 2 blocks',
      [5, 18, 0, 0, 0, 1, 0, 0, 0, 2, 0xff, 0xff, 0xff, 0xf0, 0xff, 0xff, 0xff, 0xff],
      {
        name: 'sack',
        sack: [
          [1, 2],
          [0xfffffff0, 0xffffffff],
        ],
      },
      'sack 2 {1:2}{4294967280:4294967295}',
    ],
    [
      'TS',
      [8, 10, 0, 0, 0, 1, 0x80, 0, 0, 2],
      { name: 'TS', tsval: 1, tsecr: 0x80000002 },
      'TS val 1 ecr 2147483650',
    ],
    ['md5', [19, 18, ...Array(16).fill(0xab)], { name: 'md5', length: 18 }, `md5 0x${'ab'.repeat(16)}`],
    [
      'uto seconds',
      [28, 4, 0x01, 0x2c],
      { name: 'uto', uto: { granularity: 'seconds', value: 300 } },
      'uto 300s',
    ],
    [
      'uto minutes',
      [28, 4, 0x80, 0x05],
      { name: 'uto', uto: { granularity: 'minutes', value: 5 } },
      'uto 5min',
    ],
    ['tcp-ao', [29, 6, 3, 4, 0xde, 0xad], { name: 'tcp-ao' }, 'tcp-ao keyid 3 rnextkeyid 4 mac 0xdead'],
    [
      'mptcp capable',
      [30, 12, 0x01, 0x81, 1, 2, 3, 4, 5, 6, 7, 8],
      { name: 'mptcp', mptcpSubtype: 0, mptcpSubtypeName: 'capable' },
      'mptcp capable',
    ],
    [
      'mptcp dss',
      [30, 4, 0x20, 0x01],
      { name: 'mptcp', mptcpSubtype: 2, mptcpSubtypeName: 'dss' },
      'mptcp dss',
    ],
    [
      'tfo cookie',
      [34, 10, 1, 2, 3, 4, 5, 6, 7, 8],
      { name: 'tfo', tfoCookie: '0102030405060708' },
      'tfo cookie 0102030405060708',
    ],
    ['tfo cookie request', [34, 2], { name: 'tfo' }, 'tfo cookiereq'],
    [
      'exp 254 TFO (ExID 0xF989)',
      [254, 8, 0xf9, 0x89, 1, 2, 3, 4],
      { name: 'tfo', exid: 'f989', tfoCookie: '01020304' },
      'exp-tfo cookie 01020304',
    ],
    ['exp 254 other ExID', [254, 6, 0x12, 0x34, 9, 9], { name: 'exp', exid: '1234' }, 'exp-1234'],
    ['exp 253 ExID', [253, 4, 0xab, 0xcd], { name: 'exp', exid: 'abcd' }, 'exp-abcd'],
    ['exp too short for an ExID', [254, 3, 1], { name: 'exp', length: 3 }, 'exp [len 3]'],
    ['unknown with data', [99, 4, 0xbe, 0xef], { name: 'unknown-99', raw: '6304beef' }, 'unknown-99 0xbeef'],
    ['unknown without data', [77, 2], { name: 'unknown-77' }, 'unknown-77'],
    ['mss with a wrong length', [2, 5, 1, 2, 3], { name: 'mss', length: 5 }, 'mss [len 5]'],
  ];
  for (const [name, bytes, fields, txt] of cases) {
    it(`${name}: bytes → fields and text`, () => {
      const d = opts(bytes);
      expect(d.malformed).toBeNull();
      expect(d.truncated).toBe(false);
      expect(d.options).toHaveLength(1);
      expect(d.options[0]).toMatchObject({ kind: bytes[0], ...fields });
      expect(d.options[0].raw).toBe(Buffer.from(bytes).toString('hex'));
      expect(text(bytes)).toBe(txt);
    });
  }

  it('a wrong-length fixed option does not get decoded fields', () => {
    expect(opts([2, 5, 1, 2, 3]).options[0].mss).toBeUndefined();
    expect(opts([8, 8, 0, 0, 0, 1, 0, 0]).options[0].tsval).toBeUndefined();
    expect(opts([5, 7, 1, 2, 3, 4, 5]).options[0].sack).toBeUndefined();
  });

  it('a typical SYN list in wire order', () => {
    const d = opts([2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7]);
    expect(d.options.map((o) => o.name)).toEqual(['mss', 'sackOK', 'TS', 'nop', 'wscale']);
  });
});

describe('malformed option lists are values', () => {
  it('length 0', () => {
    const d = opts([1, 2, 4, 5, 0xb4, 99, 0, 1, 1]);
    expect(d.options.map((o) => o.name)).toEqual(['nop', 'mss']);
    expect(d.malformed).toEqual({ kind: 99, length: 0, malformed: 'zero-length', at: 5 });
  });
  it('length 1', () => {
    const d = opts([1, 200, 1, 0, 0]);
    expect(d.options.map((o) => o.name)).toEqual(['nop']);
    expect(d.malformed).toEqual({ kind: 200, length: 1, malformed: 'length-one', at: 1 });
  });
  it('length past the option area', () => {
    const d = opts([1, 1, 254, 8, 0, 80, 1, 2]);
    expect(d.malformed).toEqual({ kind: 254, length: 8, malformed: 'overrun', at: 2 });
    expect(d.truncated).toBe(false);
  });
  it('kind is the last byte (no length byte)', () => {
    const d = opts([1, 1, 1, 3]);
    expect(d.malformed).toEqual({ kind: 3, length: -1, malformed: 'no-length', at: 3 });
  });
  it('options after EOL are listed separately and marked', () => {
    const d = opts([2, 4, 5, 0xb4, 0, 0, 200, 8, 0x30, 0x39, 192, 0, 2, 1, 0, 0]);
    expect(d.options.map((o) => o.name)).toEqual(['mss', 'eol']);
    expect(d.afterEol.map((o) => o.name)).toEqual(['toa']);
    expect(d.afterEol[0].toa?.address).toBe('192.0.2.1');
    expect(d.malformed).toEqual({ kind: 200, length: 8, malformed: 'after-eol', at: 6 });
  });
  it('zero padding after EOL is not malformed', () => {
    const d = opts([2, 4, 5, 0xb4, 0, 0, 0, 0]);
    expect(d.malformed).toBeNull();
    expect(d.afterEol).toEqual([]);
  });
  it('snaplen cut inside an option: truncated, not malformed; what decoded before stays', () => {
    const d = opts([2, 4, 5, 0xb4, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2], 8);
    expect(d.options.map((o) => o.name)).toEqual(['mss']);
    expect(d.truncated).toBe(true);
    expect(d.malformed).toBeNull();
  });
  it('snaplen cut between kind and length is truncated', () => {
    const d = opts([1, 2, 4, 5, 0xb4], 2);
    expect(d.options.map((o) => o.name)).toEqual(['nop']);
    expect(d.truncated).toBe(true);
  });
  it('empty area', () => {
    expect(opts([])).toEqual({ options: [], malformed: null, afterEol: [], truncated: false });
  });
});

describe('option summary (decodePacket, no allocation)', () => {
  it('records EOL offset, bytes used, flags', () => {
    const { pkt } = decodeSpec({
      ...V4,
      options: [
        2,
        4,
        5,
        0xb4,
        1,
        1,
        8,
        10,
        0,
        0,
        0,
        1,
        0,
        0,
        0,
        2,
        30,
        4,
        0x20,
        1,
        19,
        18,
        ...Array(16).fill(1),
        0,
      ],
    });
    const s = pkt.opts;
    expect(s.hasMss && s.hasTimestamps && s.hasMptcp && s.hasMd5).toBe(true);
    expect(s.hasAo || s.hasTfo).toBe(false);
    expect(s.optionBytesUsed).toBe(38);
    expect(s.eolOffset - pkt.tcpOffset).toBe(20 + 38);
    expect(s.optionAreaLength).toBe(40);
    expect(s.breakReason).toBe('none');
  });
  it('records the break reason and absolute offset', () => {
    const { pkt } = decodeSpec({ ...V4, options: [1, 1, 2, 0, 0, 0, 0, 0] });
    expect(pkt.opts.breakReason).toBe('zero-length');
    expect(pkt.opts.breakOffset - pkt.tcpOffset).toBe(22);
    expect(pkt.opts.optionBytesUsed).toBe(2);
  });
  it('TFO via kind 34 and via 254/F989; TCP-AO', () => {
    expect(decodeSpec({ ...V4, options: [34, 2, 1, 1] }).pkt.opts.hasTfo).toBe(true);
    expect(decodeSpec({ ...V4, options: [254, 4, 0xf9, 0x89] }).pkt.opts.hasTfo).toBe(true);
    expect(decodeSpec({ ...V4, options: [29, 4, 1, 1] }).pkt.opts.hasAo).toBe(true);
  });
  it('data offset < 5 is BAD_TCP; header past the segment is BAD_TCP', async () => {
    const { DecodeStatus } = await import('../../src/decode/index.js');
    expect(decodeSpec({ ...V4, dataOffset: 4 }).pkt.status).toBe(DecodeStatus.BAD_TCP);
    const ip = ipTcp({ ...V4, options: [1, 1, 1, 1] });
    ip[20 + 12] = 0xf0; // data offset 15 (60 bytes) in a 24-byte segment
    expect(decodeBytes(ip, 101).pkt.status).toBe(DecodeStatus.BAD_TCP);
  });
  it('options cut by the snaplen: status OK, tcpTruncated, break "truncated"', async () => {
    const { DecodeStatus } = await import('../../src/decode/index.js');
    const { pkt } = decodeSpec(
      { ...V4, options: [2, 4, 5, 0xb4, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1, 1] },
      'raw',
      {
        caplen: 20 + 20 + 6,
      },
    );
    expect(pkt.status).toBe(DecodeStatus.OK);
    expect(pkt.tcpTruncated).toBe(true);
    expect(pkt.opts.breakReason).toBe('truncated');
    expect(pkt.opts.hasMss).toBe(true);
    expect(pkt.opts.hasTimestamps).toBe(false);
  });
  it('fewer than 20 TCP bytes captured: TRUNCATED with ports', async () => {
    const { DecodeStatus } = await import('../../src/decode/index.js');
    const { pkt } = decodeSpec({ ...V4 }, 'raw', { caplen: 20 + 8 });
    expect(pkt.status).toBe(DecodeStatus.TRUNCATED);
    expect(pkt.tcpTruncated).toBe(true);
    expect(pkt.srcPort).toBe(V4.sport);
  });
  it('reads seq/ack/flags/window/data offset', () => {
    const { pkt } = decodeSpec({
      ...V4,
      seq: 0xfffffff0,
      ack: 0x80000001,
      flags: 'SAEC',
      win: 1234,
      options: [1, 1, 1, 1],
    });
    expect(pkt.seq).toBe(0xfffffff0);
    expect(pkt.ack).toBe(0x80000001);
    expect(pkt.flags).toBe(0x02 | 0x10 | 0x40 | 0x80);
    expect(pkt.window).toBe(1234);
    expect(pkt.dataOffset).toBe(6);
  });
});
