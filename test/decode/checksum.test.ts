import { describe, expect, it } from 'vitest';
import {
  ChecksumStatus,
  createDecodedPacket,
  decodePacket,
  recomputeChecksums,
  tcpChecksum,
  verifyChecksums,
} from '../../src/decode/index.js';
import { ipTcp, linkWrap } from '../helpers/packets.js';
import { decodeBytes, decodeSpec, frameOf, V4, V6 } from './util.js';

describe('TCP checksum', () => {
  for (const [name, fam] of [
    ['IPv4', V4],
    ['IPv6', V6],
  ] as const) {
    it(`${name}: correct`, () => {
      const { frame, pkt } = decodeSpec({ ...fam, payload: 'odd-length!', options: [2, 4, 5, 0xb4] });
      expect(tcpChecksum(frame, pkt)).toBe(ChecksumStatus.OK);
    });
    it(`${name}: incorrect`, () => {
      const { frame, pkt } = decodeSpec({ ...fam, payload: 'x', badChecksum: true });
      expect(tcpChecksum(frame, pkt)).toBe(ChecksumStatus.BAD);
    });
    it(`${name}: payload cut by the snaplen → unverifiable`, () => {
      const { frame, pkt } = decodeSpec({ ...fam, payload: 'x'.repeat(50) }, 'raw', {
        caplen: (fam === V6 ? 40 : 20) + 30,
        origLen: (fam === V6 ? 40 : 20) + 70,
      });
      expect(tcpChecksum(frame, pkt)).toBe(ChecksumStatus.UNVERIFIABLE);
    });
  }
  it('Ethernet padding after the IP packet does not enter the sum', () => {
    const ip = ipTcp({ ...V4 });
    const eth = Buffer.concat([linkWrap('en10mb', ip), Buffer.from([1, 2, 3, 4, 5, 6])]);
    const { frame, pkt } = decodeBytes(eth, 1);
    expect(tcpChecksum(frame, pkt)).toBe(ChecksumStatus.OK);
  });
  it('no TCP header → not checked', () => {
    const { frame, pkt } = decodeSpec({ ...V4, fragOffset: 10 }, 'raw');
    expect(tcpChecksum(frame, pkt)).toBe(ChecksumStatus.NOT_CHECKED);
  });
});

describe('recomputeChecksums (for anonymization)', () => {
  it('fixes IPv4 header and TCP checksums after an address rewrite', () => {
    const bytes = linkWrap('en10mb', ipTcp({ ...V4, payload: 'abc' }));
    bytes[14 + 12] = 203; // rewrite the source address
    const f = frameOf(bytes, 1);
    let pkt = decodePacket(f, createDecodedPacket());
    expect(pkt.ipChecksum).toBe(ChecksumStatus.BAD);
    expect(tcpChecksum(f, pkt)).toBe(ChecksumStatus.BAD);
    expect(recomputeChecksums(f.buf, f.offset, f.capturedLength, 1)).toEqual({ ip: true, tcp: true });
    pkt = decodePacket(f, createDecodedPacket());
    expect(pkt.ipChecksum).toBe(ChecksumStatus.OK);
    expect(tcpChecksum(f, pkt)).toBe(ChecksumStatus.OK);
  });
  it('IPv6: TCP only', () => {
    const bytes = linkWrap('sll2', ipTcp({ ...V6, ext6: [0] }));
    bytes[20 + 8] ^= 0xff;
    const f = frameOf(bytes, 276);
    expect(recomputeChecksums(f.buf, f.offset, f.capturedLength, 276)).toEqual({ ip: false, tcp: true });
    expect(tcpChecksum(f, decodePacket(f, createDecodedPacket()))).toBe(ChecksumStatus.OK);
  });
  it('keepBad keeps an originally wrong checksum wrong', () => {
    const bytes = ipTcp({ ...V4, badChecksum: true });
    const f = frameOf(bytes, 101);
    const before = verifyChecksums(f.buf, f.offset, f.capturedLength, 101);
    expect(before).toEqual({ ip: ChecksumStatus.OK, tcp: ChecksumStatus.BAD });
    f.buf[f.offset + 15] = 99;
    recomputeChecksums(f.buf, f.offset, f.capturedLength, 101, before);
    expect(verifyChecksums(f.buf, f.offset, f.capturedLength, 101)).toEqual(before);
  });
  it('a truncated segment keeps its TCP checksum', () => {
    const bytes = ipTcp({ ...V4, payload: 'x'.repeat(40) });
    const f = frameOf(bytes, 101, { caplen: 50, origLen: bytes.length });
    const ck = f.buf.readUInt16BE(f.offset + 36);
    expect(recomputeChecksums(f.buf, f.offset, f.capturedLength, 101)).toEqual({ ip: true, tcp: false });
    expect(f.buf.readUInt16BE(f.offset + 36)).toBe(ck);
  });
});
