import type { Frame } from '../../src/capture/types.js';
import { createDecodedPacket, type DecodedPacket, decodePacket } from '../../src/decode/index.js';
import { ipTcp, LINKTYPE, type Link, linkWrap, type TcpSpec } from '../helpers/packets.js';

export function frameOf(
  bytes: Buffer,
  linkType: number,
  opts: { caplen?: number; origLen?: number; pad?: number } = {},
): Frame {
  // put the packet at a non-zero offset inside a bigger buffer, as the reader does
  const pad = opts.pad ?? 7;
  const buf = Buffer.alloc(pad + bytes.length + 9, 0xee);
  bytes.copy(buf, pad);
  const caplen = opts.caplen ?? bytes.length;
  return {
    tsSec: 1_700_000_000,
    tsNsec: 123_456_000,
    linkType,
    capturedLength: caplen,
    originalLength: opts.origLen ?? bytes.length,
    buf,
    offset: pad,
    interfaceId: 0,
  };
}

export function decodeBytes(
  bytes: Buffer,
  linkType: number,
  opts: { caplen?: number; origLen?: number } = {},
) {
  const frame = frameOf(bytes, linkType, opts);
  const pkt = decodePacket(frame, createDecodedPacket()) as DecodedPacket;
  return { frame, pkt };
}

export function decodeSpec(
  spec: TcpSpec,
  link: Link = 'en10mb',
  opts: { caplen?: number; origLen?: number } = {},
) {
  return decodeBytes(linkWrap(link, ipTcp(spec)), LINKTYPE[link], opts);
}

export const V4 = { src: '100.64.0.2', dst: '10.0.0.5', sport: 40000, dport: 80 };
export const V6 = { src: '2001:db8::2', dst: '2001:db8:1::5', sport: 40000, dport: 443 };
