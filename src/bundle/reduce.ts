/**
 * Default capture reduction for bundles: keep per flow only what the diagnosis reads —
 * SYN / SYN-ACK (and their retransmissions), every client packet up to and including the first
 * client data segment (so the handshake-completing ACK and anything before data), retransmissions
 * of that first data segment, the first server data segment (server-speaks-first protocols), any
 * packet carrying a TOA-table option or a malformed option list, and FIN/RST. Everything else
 * (bulk data and its ACKs) is dropped. Flows first seen mid-stream keep their first few packets.
 */
import { type DecodedPacket, DecodeStatus, TcpFlag } from '../decode/types.js';

interface FlowState {
  /** client is the endpoint that sent the SYN: true when it is the 'a' side of the key */
  clientIsA: boolean | null;
  clientDataSeq: number;
  clientDataDone: boolean;
  serverDataDone: boolean;
  /** packets kept while the client side is unknown */
  unknownKept: number;
}

const MIDSTREAM_KEEP = 4;

export class HandshakeReducer {
  private readonly flows = new Map<string, FlowState>();
  /** distinct flows seen (for progress and the manifest) */
  flowsSeen = 0;

  constructor(private readonly maxFlows = 200_000) {}

  private key(
    buf: Buffer,
    pkt: DecodedPacket,
    sport: number,
    dport: number,
  ): { key: string; aIsSrc: boolean } {
    const alen = pkt.ipVersion === 6 ? 16 : 4;
    const src = buf.toString('latin1', pkt.srcAddrOffset, pkt.srcAddrOffset + alen);
    const dst = buf.toString('latin1', pkt.dstAddrOffset, pkt.dstAddrOffset + alen);
    const s = `${src}/${sport}`;
    const d = `${dst}/${dport}`;
    return s <= d ? { key: `${s}|${d}`, aIsSrc: true } : { key: `${d}|${s}`, aIsSrc: false };
  }

  /** Should this packet go into the bundle's capture? */
  keep(buf: Buffer, pkt: DecodedPacket): boolean {
    let flags: number;
    let sport: number;
    let dport: number;
    let seq: number;
    let payload: number;
    if (pkt.status === DecodeStatus.OK) {
      flags = pkt.flags;
      sport = pkt.srcPort;
      dport = pkt.dstPort;
      seq = pkt.seq;
      payload = pkt.payloadLength;
      const o = pkt.opts;
      if (
        o.toaCount > 0 ||
        o.toaAfterEol ||
        o.breakReason !== 'none' ||
        o.toaExtCount > 0 ||
        o.toaAfterBreak
      ) {
        this.track(buf, pkt, sport, dport, flags, seq, payload);
        return true;
      }
    } else if (
      pkt.ipVersion !== 0 &&
      pkt.tcpOffset >= 0 &&
      (pkt.status === DecodeStatus.TRUNCATED || pkt.status === DecodeStatus.BAD_TCP) &&
      pkt.tcpOffset + 14 <= pkt.capturedEnd
    ) {
      // header cut or odd: read what is there and keep it (a capture problem the report names)
      const t = pkt.tcpOffset;
      flags = buf[t + 13]!;
      sport = buf.readUInt16BE(t);
      dport = buf.readUInt16BE(t + 2);
      this.track(buf, pkt, sport, dport, flags, buf.readUInt32BE(t + 4), 0);
      return true;
    } else return false;
    return this.track(buf, pkt, sport, dport, flags, seq, payload);
  }

  private track(
    buf: Buffer,
    pkt: DecodedPacket,
    sport: number,
    dport: number,
    flags: number,
    seq: number,
    payload: number,
  ): boolean {
    const { key, aIsSrc } = this.key(buf, pkt, sport, dport);
    let st = this.flows.get(key);
    if (!st) {
      st = {
        clientIsA: null,
        clientDataSeq: -1,
        clientDataDone: false,
        serverDataDone: false,
        unknownKept: 0,
      };
      this.flows.set(key, st);
      this.flowsSeen++;
      if (this.flows.size > this.maxFlows) {
        const first = this.flows.keys().next().value as string;
        this.flows.delete(first);
      }
    }
    const syn = (flags & TcpFlag.SYN) !== 0;
    const ack = (flags & TcpFlag.ACK) !== 0;
    if (syn && !ack && st.clientIsA === null) st.clientIsA = aIsSrc;
    if (syn && ack && st.clientIsA === null) st.clientIsA = !aIsSrc;
    if (syn || (flags & (TcpFlag.FIN | TcpFlag.RST)) !== 0) return true;
    if (st.clientIsA === null) return st.unknownKept++ < MIDSTREAM_KEEP;
    const fromClient = st.clientIsA === aIsSrc;
    if (fromClient) {
      if (!st.clientDataDone) {
        if (payload > 0) {
          st.clientDataDone = true;
          st.clientDataSeq = seq;
        }
        return true;
      }
      return payload > 0 && seq === st.clientDataSeq; // retransmission of the first data segment
    }
    if (!st.serverDataDone && payload > 0) {
      st.serverDataDone = true;
      return true;
    }
    return false;
  }
}
