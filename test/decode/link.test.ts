import { describe, expect, it } from 'vitest';
import { addressToString, DecodeStatus } from '../../src/decode/index.js';
import { ipTcp, LINKTYPE, type Link, linkWrap, MSS_OPT } from '../helpers/packets.js';
import { decodeBytes, V4, V6 } from './util.js';

const links: Link[] = ['en10mb', 'vlan', 'qinq', 'sll', 'sll2', 'raw', 'null', 'loop', 'ipv4', 'ipv6'];

describe('link layers', () => {
  for (const link of links) {
    for (const fam of [V4, V6]) {
      if (link === 'ipv4' && fam === V6) continue;
      if (link === 'ipv6' && fam === V4) continue;
      const v = fam === V6 ? 6 : 4;
      it(`${link} carrying IPv${v}/TCP decodes to the TCP ports and addresses`, () => {
        const { frame, pkt } = decodeBytes(
          linkWrap(link, ipTcp({ ...fam, flags: 'S', options: MSS_OPT })),
          LINKTYPE[link],
        );
        expect(pkt.status).toBe(DecodeStatus.OK);
        expect(pkt.ipVersion).toBe(v);
        expect(addressToString(frame.buf, pkt.srcAddrOffset, v)).toBe(fam.src);
        expect(addressToString(frame.buf, pkt.dstAddrOffset, v)).toBe(fam.dst);
        expect([pkt.srcPort, pkt.dstPort]).toEqual([fam.sport, fam.dport]);
        expect(pkt.vlanIds).toBe(link === 'vlan' ? 1 : link === 'qinq' ? 2 : 0);
        expect(pkt.opts.hasMss).toBe(true);
      });
    }
  }

  it('passes three stacked tags including 0x9100', () => {
    const ip = ipTcp({ ...V4 });
    const macs = Buffer.alloc(12, 1);
    const tags = Buffer.from([0x91, 0x00, 0, 10, 0x88, 0xa8, 0, 20, 0x81, 0x00, 0, 30, 0x08, 0x00]);
    const { pkt } = decodeBytes(Buffer.concat([macs, tags, ip]), 1);
    expect(pkt.status).toBe(DecodeStatus.OK);
    expect(pkt.vlanIds).toBe(3);
    expect(pkt.ipOffset - 7).toBe(12 + 14);
  });

  it('NULL reads the AF in either byte order; every BSD AF_INET6 value works', () => {
    const ip6 = ipTcp({ ...V6 });
    for (const af of [24, 28, 30]) {
      for (const le of [true, false]) {
        const h = Buffer.alloc(4);
        if (le) h.writeUInt32LE(af);
        else h.writeUInt32BE(af);
        const { pkt } = decodeBytes(Buffer.concat([h, ip6]), 0);
        expect(pkt.status, `af ${af} le ${le}`).toBe(DecodeStatus.OK);
        expect(pkt.ipVersion).toBe(6);
      }
    }
    const h = Buffer.alloc(4);
    h.writeUInt32LE(2);
    expect(decodeBytes(Buffer.concat([h, ipTcp({ ...V4 })]), 0).pkt.ipVersion).toBe(4);
  });

  it('LOOP uses network order: a little-endian AF there is not IP', () => {
    const h = Buffer.alloc(4);
    h.writeUInt32LE(2);
    expect(decodeBytes(Buffer.concat([h, ipTcp({ ...V4 })]), 108).pkt.status).toBe(DecodeStatus.NOT_IP);
  });

  it('RAW picks the IP version from the first nibble', () => {
    expect(decodeBytes(ipTcp({ ...V6 }), 101).pkt.ipVersion).toBe(6);
    expect(decodeBytes(ipTcp({ ...V4 }), 101).pkt.ipVersion).toBe(4);
    const bad = ipTcp({ ...V4 });
    bad[0] = 0x55;
    expect(decodeBytes(bad, 101).pkt.status).toBe(DecodeStatus.BAD_IP);
  });

  it('IPV4 link type with IPv6 bytes is BAD_IP', () => {
    expect(decodeBytes(ipTcp({ ...V6 }), 228).pkt.status).toBe(DecodeStatus.BAD_IP);
  });

  it('unknown link type → UNKNOWN_LINKTYPE', () => {
    expect(decodeBytes(ipTcp({ ...V4 }), 147).pkt.status).toBe(DecodeStatus.UNKNOWN_LINKTYPE);
  });

  it('ARP on Ethernet and SLL2 → NOT_IP', () => {
    const arp = Buffer.concat([Buffer.alloc(12, 2), Buffer.from([0x08, 0x06]), Buffer.alloc(28)]);
    expect(decodeBytes(arp, 1).pkt.status).toBe(DecodeStatus.NOT_IP);
    const sll2 = Buffer.alloc(48);
    sll2.writeUInt16BE(0x0806, 0);
    expect(decodeBytes(sll2, 276).pkt.status).toBe(DecodeStatus.NOT_IP);
  });

  it('a link header cut by the snaplen is TRUNCATED', () => {
    const eth = linkWrap('vlan', ipTcp({ ...V4 }));
    expect(decodeBytes(eth, 1, { caplen: 10 }).pkt.status).toBe(DecodeStatus.TRUNCATED);
    expect(decodeBytes(eth, 1, { caplen: 16 }).pkt.status).toBe(DecodeStatus.TRUNCATED);
    expect(decodeBytes(eth, 1, { caplen: 18 }).pkt.status).toBe(DecodeStatus.TRUNCATED);
    expect(decodeBytes(linkWrap('sll', ipTcp({ ...V4 })), 113, { caplen: 15 }).pkt.status).toBe(
      DecodeStatus.TRUNCATED,
    );
    expect(decodeBytes(linkWrap('sll2', ipTcp({ ...V4 })), 276, { caplen: 19 }).pkt.status).toBe(
      DecodeStatus.TRUNCATED,
    );
    expect(decodeBytes(linkWrap('null', ipTcp({ ...V4 })), 0, { caplen: 3 }).pkt.status).toBe(
      DecodeStatus.TRUNCATED,
    );
  });
});
