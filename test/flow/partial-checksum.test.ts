/**
 * Offload: a capture of locally generated packets shows partial checksums (the field holds only
 * the pseudo-header sum, Linux CHECKSUM_PARTIAL). Such a TOA-carrying ACK is not TOA_BAD_CHECKSUM;
 * a genuinely wrong checksum still is.
 */
import { describe, expect, it } from 'vitest';
import { readCaptureBuffer } from '../../src/capture/reader.js';
import { createDecodedPacket, decodePacket, isPartialChecksum, tcpChecksum } from '../../src/decode/index.js';
import { fold16, sumBytes } from '../../src/decode/sum.js';
import { ChecksumStatus } from '../../src/decode/types.js';
import { ipTcp, LINKTYPE, toaOption, writePcap } from '../helpers/packets.js';
import { analyze, flowsOf } from './util.js';

const C = '198.18.1.1';
const S = '198.18.1.2';

/** Raw-IP frame with the TCP checksum replaced by the partial (pseudo-header) sum */
function partial(ip: Buffer): Buffer {
  const b = Buffer.from(ip);
  const ihl = (b[0]! & 0x0f) * 4;
  const len = b.readUInt16BE(2) - ihl;
  let s = 6 + len;
  s = sumBytes(b, 12, 20, s);
  b.writeUInt16BE(fold16(s), ihl + 16);
  return b;
}

function corrupt(ip: Buffer): Buffer {
  const b = Buffer.from(ip);
  const ihl = (b[0]! & 0x0f) * 4;
  b.writeUInt16BE(b.readUInt16BE(ihl + 16) ^ 0x1234, ihl + 16);
  return b;
}

const pcap = (ips: Buffer[]) =>
  writePcap(
    ips.map((data, i) => ({ data, ts: 1 + i / 1000 })),
    { linkType: LINKTYPE.raw },
  );

function flow(ack: (b: Buffer) => Buffer): string {
  const base = { src: C, dst: S, sport: 40000, dport: 8080 };
  const pk = [
    ipTcp({ ...base, flags: 'S', seq: 100, options: [2, 4, 5, 180] }),
    ipTcp({
      src: S,
      dst: C,
      sport: 8080,
      dport: 40000,
      flags: 'SA',
      seq: 500,
      ack: 101,
      options: [2, 4, 5, 180],
    }),
    ack(ipTcp({ ...base, flags: 'A', seq: 101, ack: 501, options: toaOption(254, '203.0.113.7', 10001) })),
  ];
  return flowsOf(analyze(pcap(pk)))[0]!.verdict;
}

describe('partial checksums (offload) are not bad checksums', () => {
  it('isPartialChecksum recognises the pseudo-header sum and nothing else', () => {
    const ip = ipTcp({
      src: C,
      dst: S,
      sport: 40000,
      dport: 8080,
      flags: 'A',
      seq: 1,
      ack: 1,
      options: toaOption(254, '203.0.113.7', 1),
    });
    for (const [b, partialWant, ck] of [
      [ip, false, ChecksumStatus.OK],
      [partial(ip), true, ChecksumStatus.BAD],
      [corrupt(ip), false, ChecksumStatus.BAD],
    ] as const) {
      let seen = 0;
      readCaptureBuffer(pcap([b]), (f) => {
        const p = createDecodedPacket();
        decodePacket(f, p);
        expect(tcpChecksum(f, p)).toBe(ck);
        expect(isPartialChecksum(f, p)).toBe(partialWant);
        seen++;
      });
      expect(seen).toBe(1);
    }
  });

  it('a TOA ACK with a partial checksum is TOA_OK; a corrupted one stays TOA_BAD_CHECKSUM', () => {
    expect(flow((b) => b)).toBe('TOA_OK');
    expect(flow(partial)).toBe('TOA_OK');
    expect(flow(corrupt)).toBe('TOA_BAD_CHECKSUM');
  });
});
