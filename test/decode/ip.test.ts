import { describe, expect, it } from 'vitest';
import { ChecksumStatus, DecodeStatus, tcpChecksum } from '../../src/decode/index.js';
import { ipTcp, MSS_OPT, toaOption } from '../helpers/packets.js';
import { decodeBytes, decodeSpec, V4, V6 } from './util.js';

describe('IPv4', () => {
  it('reads ttl, id, total length and a correct header checksum', () => {
    const { pkt } = decodeSpec({ ...V4, ttl: 57, ipId: 4242, payload: 'hello' }, 'raw');
    expect(pkt.ipTtl).toBe(57);
    expect(pkt.ipId).toBe(4242);
    expect(pkt.ipTotalLength).toBe(20 + 20 + 5);
    expect(pkt.ipChecksum).toBe(ChecksumStatus.OK);
    expect(pkt.payloadLength).toBe(5);
    expect(pkt.ipFragment).toBe(false);
  });

  it('skips IPv4 options to the TCP header', () => {
    // record-route-ish option bytes, 8 bytes → IHL 7
    const { pkt } = decodeSpec(
      { ...V4, ipOptions: [7, 7, 4, 0, 0, 0, 0, 1], options: toaOption(200, '192.0.2.77', 54321) },
      'raw',
    );
    expect(pkt.status).toBe(DecodeStatus.OK);
    expect(pkt.ipHeaderLength).toBe(28);
    expect(pkt.tcpOffset - pkt.ipOffset).toBe(28);
    expect(pkt.ipChecksum).toBe(ChecksumStatus.OK);
    expect(pkt.opts.toaKind).toBe(200);
  });

  it('flags a bad header checksum (and still decodes TCP)', () => {
    const ip = ipTcp({ ...V4 });
    ip[10] ^= 0x40;
    const { pkt } = decodeBytes(ip, 101);
    expect(pkt.ipChecksum).toBe(ChecksumStatus.BAD);
    expect(pkt.status).toBe(DecodeStatus.OK);
  });

  it('first fragment (offset 0, MF) keeps the TCP header; checksum is unverifiable', () => {
    const { frame, pkt } = decodeSpec({ ...V4, moreFragments: true, options: MSS_OPT }, 'raw');
    expect(pkt.status).toBe(DecodeStatus.OK);
    expect(pkt.ipFragment).toBe(true);
    expect(pkt.opts.hasMss).toBe(true);
    expect(tcpChecksum(frame, pkt)).toBe(ChecksumStatus.UNVERIFIABLE);
  });

  it('a non-first fragment is IP_FRAGMENT (no TCP header)', () => {
    const { pkt } = decodeSpec({ ...V4, fragOffset: 185 }, 'raw');
    expect(pkt.status).toBe(DecodeStatus.IP_FRAGMENT);
    expect(pkt.ipFragOffset).toBe(185 * 8);
    expect(pkt.tcpOffset).toBe(-1);
  });

  it('other protocols are NOT_TCP with the protocol number', () => {
    const ip = ipTcp({ ...V4 });
    ip[9] = 17;
    const { pkt } = decodeBytes(ip, 101);
    expect(pkt.status).toBe(DecodeStatus.NOT_TCP);
    expect(pkt.ipProto).toBe(17);
  });

  it('IHL < 5 and total length < IHL are BAD_IP', () => {
    const a = ipTcp({ ...V4 });
    a[0] = 0x44;
    expect(decodeBytes(a, 101).pkt.status).toBe(DecodeStatus.BAD_IP);
    const b = ipTcp({ ...V4 });
    b.writeUInt16BE(16, 2);
    expect(decodeBytes(b, 101).pkt.status).toBe(DecodeStatus.BAD_IP);
  });

  it('header cut by the snaplen is TRUNCATED', () => {
    expect(decodeSpec({ ...V4 }, 'raw', { caplen: 12 }).pkt.status).toBe(DecodeStatus.TRUNCATED);
    expect(decodeSpec({ ...V4, ipOptions: [1, 1, 1, 1] }, 'raw', { caplen: 22 }).pkt.status).toBe(
      DecodeStatus.TRUNCATED,
    );
  });

  it('total length 0 (TSO on the sender) falls back to the wire length', () => {
    const ip = ipTcp({ ...V4, payload: 'abcd' });
    ip.writeUInt16BE(0, 2);
    const { pkt } = decodeBytes(ip, 101);
    expect(pkt.status).toBe(DecodeStatus.OK);
    expect(pkt.payloadLength).toBe(4);
  });

  it('total length larger than captured (snaplen) keeps the header payload length', () => {
    const { pkt } = decodeSpec({ ...V4, payload: 'x'.repeat(100) }, 'raw', { caplen: 60, origLen: 140 });
    expect(pkt.status).toBe(DecodeStatus.OK);
    expect(pkt.payloadLength).toBe(100);
    expect(pkt.tcpTruncated).toBe(false);
  });
});

describe('IPv6', () => {
  it('plain IPv6: hop limit, total length, no IP checksum', () => {
    const { pkt } = decodeSpec({ ...V6, ttl: 33, payload: 'abc' }, 'raw');
    expect(pkt.status).toBe(DecodeStatus.OK);
    expect(pkt.ipTtl).toBe(33);
    expect(pkt.ipTotalLength).toBe(40 + 20 + 3);
    expect(pkt.ipChecksum).toBe(ChecksumStatus.NOT_CHECKED);
    expect(pkt.payloadLength).toBe(3);
  });

  for (const [name, ext, size] of [
    ['hop-by-hop', [0], 8],
    ['routing', [43], 8],
    ['fragment (atomic)', [44], 8],
    ['destination options', [60], 8],
    ['AH', [51], 12],
    ['all five chained', [0, 60, 43, 44, 51], 44],
  ] as Array<[string, number[], number]>) {
    it(`skips ${name} before TCP`, () => {
      const { frame, pkt } = decodeSpec(
        { ...V6, ext6: ext, options: toaOption(253, '2001:db8::77', 443) },
        'raw',
      );
      expect(pkt.status).toBe(DecodeStatus.OK);
      expect(pkt.tcpOffset - pkt.ipOffset).toBe(40 + size);
      expect(pkt.opts.toaKind).toBe(253);
      expect(pkt.ipFragment).toBe(false);
      expect(tcpChecksum(frame, pkt)).toBe(ChecksumStatus.OK);
    });
  }

  it('a fragment header with a non-zero offset is IP_FRAGMENT; offset 0 with M set keeps TCP', () => {
    const ip = ipTcp({ ...V6, ext6: [44] });
    ip.writeUInt16BE(0x00a8, 42); // offset 21 (x8)
    expect(decodeBytes(ip, 101).pkt.status).toBe(DecodeStatus.IP_FRAGMENT);
    const first = ipTcp({ ...V6, ext6: [44] });
    first[43] = 1; // M flag
    const d = decodeBytes(first, 101);
    expect(d.pkt.status).toBe(DecodeStatus.OK);
    expect(d.pkt.ipFragment).toBe(true);
    expect(tcpChecksum(d.frame, d.pkt)).toBe(ChecksumStatus.UNVERIFIABLE);
  });

  it('extension header followed by UDP is NOT_TCP; truncated ext header is TRUNCATED', () => {
    const ip = ipTcp({ ...V6, ext6: [60] });
    ip[40] = 17;
    const r = decodeBytes(ip, 101);
    expect(r.pkt.status).toBe(DecodeStatus.NOT_TCP);
    expect(r.pkt.ipProto).toBe(17);
    expect(decodeSpec({ ...V6, ext6: [0] }, 'raw', { caplen: 41 }).pkt.status).toBe(DecodeStatus.TRUNCATED);
  });

  it('extension header length past the payload is BAD_IP', () => {
    const ip = ipTcp({ ...V6, ext6: [60] });
    ip[41] = 200;
    expect(decodeBytes(ip, 101).pkt.status).toBe(DecodeStatus.BAD_IP);
  });

  it('a 40-byte header cut by the snaplen is TRUNCATED', () => {
    expect(decodeSpec({ ...V6 }, 'raw', { caplen: 39 }).pkt.status).toBe(DecodeStatus.TRUNCATED);
  });
});
