/**
 * Materialise a FlowRecord (the JSON-able contract object) from a table slot, with the human
 * reason for its verdict. Only done for flows that are listed, used as examples, or handed to
 * onFlowDone: the table itself never holds objects.
 */
import { addressToString, decodeToa, formatEndpoint, TOA_VARIANTS } from '../decode/index.js';
import { type ChecksumStatus, OPTION_BREAKS } from '../decode/types.js';
import { type JudgeModel, profileVariantIds, variantLabel } from './profiles.js';
import {
  F_CLIENT_B,
  F_CLIENT_KNOWN,
  F_EXTRAS,
  F_FIN,
  F_HAS_SYN,
  F_RST,
  F_RULE_SYN,
  F_RULE_TOA,
  F_SERVER_FIRST,
  F_TFO,
  F_V6,
  type FlowTable,
  HIDDEN_UNKNOWN,
  R_TFO,
  R_TFO_LOOKALIKE,
  R_TOA_AFTER_BREAK,
  R_TOA_AFTER_EOL,
  ROLE_ACK,
  ROLE_DATA,
  ROLE_LATER,
  ROLE_SYN,
  ROLE_SYNACK,
} from './table.js';
import type { ClientRule, FlowRecord, PacketFacts, PacketRole, ProfileName, ToaSighting } from './types.js';
import {
  judge,
  Scratch,
  V_BAD_CHECKSUM,
  V_INCOMPLETE,
  V_INCONSISTENT,
  V_KIND_MISMATCH,
  V_LATE,
  V_MALFORMED,
  V_MISSING,
  V_NAT64,
  V_OK,
  V_SYN_ONLY,
  verdictName,
} from './verdict.js';

function v4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** address text of endpoint A (0) or B (1) */
export function endpointAddress(t: FlowTable, slot: number, which: 0 | 1): string {
  if (t.bitsOf(slot) & F_V6) return addressToString(t.v6!, slot * 32 + which * 16, 6);
  return v4(which === 0 ? t.addrA(slot) : t.addrB(slot));
}

export function endpointPort(t: FlowTable, slot: number, which: 0 | 1): number {
  const p = t.portsOf(slot);
  return which === 0 ? p >>> 16 : p & 0xffff;
}

/** which endpoint is the client (0 = A, 1 = B) and why */
export function clientSide(t: FlowTable, slot: number): { client: 0 | 1; rule: ClientRule } {
  const bits = t.bitsOf(slot);
  if (bits & F_CLIENT_KNOWN) {
    return {
      client: bits & F_CLIENT_B ? 1 : 0,
      rule: bits & F_RULE_SYN ? 'syn' : bits & F_RULE_TOA ? 'toa-sender' : 'syn',
    };
  }
  const pa = endpointPort(t, slot, 0);
  const pb = endpointPort(t, slot, 1);
  return { client: pb > pa ? 1 : 0, rule: 'higher-port' };
}

function sighting(bytes: Buffer, variant: number): ToaSighting {
  const d = decodeToa(bytes, 0, variant);
  return {
    variant: d.variant,
    kind: d.kind,
    length: d.length,
    family: d.family,
    address: d.address,
    port: d.port,
  };
}

function roleSightings(t: FlowTable, slot: number, role: number): ToaSighting[] {
  const i = slot * 4 + role;
  const v = t.rToaVar(i);
  if (v < 0) return [];
  const out = [sighting(t.roleToaBytes(slot, role), v)];
  if (t.bitsOf(slot) & F_EXTRAS)
    for (const e of t.extras.get(slot) ?? [])
      if (e.role === role && !e.primary && !e.hidden) out.push(sighting(e.bytes, e.variant));
  return out;
}

function facts(t: FlowTable, slot: number, role: number): PacketFacts | null {
  if (!(t.bitsOf(slot) & (F_HAS_SYN << role))) return null;
  const i = slot * 4 + role;
  const rb = t.rBits(i);
  return {
    ts: t.rTs(i),
    seq: t.rSeq(i),
    ack: t.rAck(i),
    flags: t.rFlags(i),
    payloadLength: t.rPay(i),
    toa: roleSightings(t, slot, role),
    optionAreaLength: t.rOptLen(i),
    optionBytesUsed: t.rOptUsed(i),
    optionBytesFree: 40 - t.rOptLen(i),
    breakReason: OPTION_BREAKS[t.rBreak(i)],
    toaAfterEol: (rb & R_TOA_AFTER_EOL) !== 0,
    toaAfterBreak: (rb & R_TOA_AFTER_BREAK) !== 0,
    checksum: t.rCk(i) as ChecksumStatus,
    retransmissions: t.rRetx(i),
    tfo: (rb & R_TFO) !== 0,
    ...(t.optKeep ? keptFacts(t, slot, role) : undefined),
  };
}

/** compare's extra facts (FlowTable.keepCompareFacts) */
function keptFacts(t: FlowTable, slot: number, role: number): Partial<PacketFacts> {
  const out: Partial<PacketFacts> = {
    optionBytes: Buffer.from(t.keptOptions(slot * 4 + role)).toString('hex'),
  };
  if (role === ROLE_DATA) out.payloadDigest = t.keptDigest(slot) ?? undefined;
  return out;
}

const ROLE_TO_PACKET: Record<number, PacketRole> = {
  [ROLE_SYN]: 'syn',
  [ROLE_ACK]: 'ack',
  [ROLE_DATA]: 'data',
  [ROLE_LATER]: 'data',
};

const scratch = new Scratch();

export interface MaterializeContext {
  model: JudgeModel;
  profile: ProfileName;
}

/** Build the FlowRecord of a slot (judging it again: cheap, and keeps one source of truth). */
export function materialize(t: FlowTable, slot: number, ctx: MaterializeContext): FlowRecord {
  const s = scratch;
  const v = judge(t, slot, s, ctx.model);
  const bits = t.bitsOf(slot);
  const { client, rule } = clientSide(t, slot);
  const server = client === 0 ? 1 : 0;
  const toServer = client === 0 ? t.pktAB(slot) : t.pktBA(slot);
  const toClient = client === 0 ? t.pktBA(slot) : t.pktAB(slot);
  const rec: FlowRecord = {
    id: t.idOf(slot),
    family: bits & F_V6 ? 'ipv6' : 'ipv4',
    client: { address: endpointAddress(t, slot, client), port: endpointPort(t, slot, client) },
    server: { address: endpointAddress(t, slot, server), port: endpointPort(t, slot, server) },
    clientRule: rule,
    firstTs: t.firstTs(slot),
    lastTs: t.lastTs(slot),
    packets: { toServer, toClient },
    syn: facts(t, slot, ROLE_SYN),
    synAck: facts(t, slot, ROLE_SYNACK),
    handshakeAck: facts(t, slot, ROLE_ACK),
    firstData: facts(t, slot, ROLE_DATA),
    laterToa: [],
    fin: (bits & F_FIN) !== 0,
    rst: (bits & F_RST) !== 0,
    serverSpokeFirst: (bits & F_SERVER_FIRST) !== 0,
    tfo: (bits & F_TFO) !== 0,
    verdict: verdictName(v),
    toa: null,
    reason: '',
  };
  if (bits & F_EXTRAS)
    for (const e of t.extras.get(slot) ?? [])
      if (e.role === ROLE_LATER) rec.laterToa.push(sighting(e.bytes, e.variant));
  if (s.primary >= 0) {
    const p = sighting(s.bytes(s.primary), s.variant[s.primary]!);
    const packets = new Set<PacketRole>();
    for (let i = 0; i < s.n; i++) {
      if (s.variant[i] !== s.variant[s.primary]) continue;
      if (!s.sameClient(i, s.primary)) continue;
      packets.add(ROLE_TO_PACKET[s.role[i]!]!);
    }
    const order: PacketRole[] = ['syn', 'ack', 'data'];
    rec.toa = { ...p, packets: order.filter((r) => packets.has(r)) };
  } else if (v === V_MALFORMED && bits & F_EXTRAS) {
    // the TOA the module cannot reach: show whom it names
    const readRole = s.readRole;
    const h = t.extras.get(slot)?.find((e) => e.hidden && e.role === readRole);
    if (h) rec.toa = { ...sighting(h.bytes, h.variant), packets: [ROLE_TO_PACKET[readRole]!] };
  }
  if (ctx.model.named) {
    const hasRole = (r: number) => (bits & (F_HAS_SYN << r)) !== 0;
    rec.model = {
      id: ctx.model.row.id,
      reads: ctx.model.row.reads,
      pick: ctx.model.row.pick,
      readPacket: hasRole(s.readRole) ? (s.readRole === ROLE_SYN ? 'syn' : 'ack') : null,
    };
    rec.reason =
      modelReasonText(rec, v, t, slot, ctx.model, s.readRole) ?? reasonText(rec, v, t, slot, ctx.profile);
  } else rec.reason = reasonText(rec, v, t, slot, ctx.profile);
  if (rec.toa && rec.toa.port === 0xf989 && rec.toa.kind === 254) {
    const roles = [ROLE_SYN, ROLE_ACK, ROLE_DATA];
    if (roles.some((r) => bits & (F_HAS_SYN << r) && t.rBits(slot * 4 + r) & R_TFO_LOOKALIKE))
      rec.reason +=
        ' (client port 63881 = 0xF989: tcpdump and Wireshark show this option as a TFO cookie, the RS modules read it as TOA; the Alibaba CDN eBPF program skips it)';
  }
  return rec;
}

/** the SYN carried data (TCP Fast Open): it creates the socket */
function tfoData(rec: FlowRecord): boolean {
  return rec.tfo && (rec.syn?.payloadLength ?? 0) > 0;
}

function toaText(x: ToaSighting): string {
  const where = x.address === null ? '' : ` ${formatEndpoint(x.address, x.port)}`;
  if (x.variant.startsWith('ip')) return `${variantLabel(x.variant)} TOA${where}`;
  return `TOA ${x.kind}/${x.length}${where}`;
}

function readName(rec: FlowRecord): string {
  return tfoData(rec) ? 'the SYN (TCP Fast Open: the SYN creates the socket)' : 'the handshake ACK';
}

function reasonText(rec: FlowRecord, v: number, t: FlowTable, slot: number, profile: ProfileName): string {
  const toa = rec.toa;
  const ack = rec.handshakeAck;
  const readRole = tfoData(rec) ? ROLE_SYN : ROLE_ACK;
  const hid = t.rHidVar(slot * 4 + readRole);
  const hidText = hid >= 0 ? `TOA ${variantLabel(TOA_VARIANTS[hid]!.id)}` : 'a TOA-kind option';
  switch (v) {
    case V_OK:
      if (
        toa &&
        toa.packets[0] === 'syn' &&
        !tfoData(rec) &&
        TOA_VARIANTS.find((x) => x.id === toa.variant)?.synOnly
      )
        return `${toaText(toa)} on the SYN (the kind-28 module reads the SYN)`;
      return `${toa ? toaText(toa) : 'TOA'} on ${readName(rec)}`;
    case V_MISSING: {
      let s = 'no TOA on any packet of the flow';
      if (ack && ack.optionBytesFree < 8)
        s += `; the handshake ACK had only ${ack.optionBytesFree} option bytes free (an IPv4 TOA needs 8)`;
      return s;
    }
    case V_SYN_ONLY:
      return `${toa ? toaText(toa) : 'TOA'} rode on the SYN only; the handshake ACK (the packet the module reads) carried none`;
    case V_LATE:
      if (tfoData(rec))
        return `TCP Fast Open: the SYN creates the socket but ${toa ? toaText(toa) : 'TOA'} came only on later packets`;
      return `the handshake ACK carried no TOA; ${toa ? toaText(toa) : 'TOA'} came on later data (read only with TCP_DEFER_ACCEPT)`;
    case V_MALFORMED: {
      const p = tfoData(rec) ? rec.syn : ack;
      const rb = t.rBits(slot * 4 + readRole);
      if (rb & R_TOA_AFTER_EOL)
        return `${hidText} sits after EOL on ${readName(rec)}: the module stops at EOL`;
      const why = p?.breakReason && p.breakReason !== 'none' ? ` (${p.breakReason})` : '';
      if (hid === HIDDEN_UNKNOWN)
        return `the option list on ${readName(rec)} breaks at a TOA-kind option${why}: the module's parser gives up`;
      return `the option list on ${readName(rec)} breaks${why} before ${hidText}: the module never reaches it`;
    }
    case V_KIND_MISMATCH:
      return `${toa ? toaText(toa) : 'TOA'} seen, but the ${profile} module reads ${profileVariantIds(profile).map(variantLabel).join(', ')}`;
    case V_INCONSISTENT: {
      const addrs = new Map<string, string[]>();
      const add = (x: ToaSighting, where: string) => {
        if (x.address === null) return;
        const k = formatEndpoint(x.address, x.port);
        const l = addrs.get(k) ?? [];
        if (!l.includes(where)) l.push(where);
        addrs.set(k, l);
      };
      for (const x of rec.syn?.toa ?? []) add(x, 'syn');
      for (const x of rec.handshakeAck?.toa ?? []) add(x, 'ack');
      for (const x of rec.firstData?.toa ?? []) add(x, 'data');
      for (const x of rec.laterToa) add(x, 'later');
      return `different client addresses in one flow: ${[...addrs].map(([a, w]) => `${a} (${w.join(',')})`).join(' vs ')}`;
    }
    case V_NAT64:
      return `IPv6 client ${toa?.address ? formatEndpoint(toa.address, toa.port) : ''} in ${toa ? `${toa.kind}/${toa.length}` : 'TOA'} on an IPv4 flow: getpeername() cannot return it; the app must call getsockopt(IPPROTO_IP, 4096)`;
    case V_BAD_CHECKSUM:
      return `${readName(rec)} carrying ${toa ? toaText(toa) : 'TOA'} has a bad TCP checksum: the kernel drops it`;
    case V_INCOMPLETE: {
      const missing: string[] = [];
      if (!rec.syn) missing.push('SYN');
      if (!rec.synAck) missing.push('SYN-ACK');
      if (!ack) missing.push('handshake ACK');
      let s = `handshake not captured (no ${missing.join(', ') || 'handshake ACK'})`;
      const later =
        rec.firstData?.toa.find((x) => x.address !== null) ?? rec.laterToa.find((x) => x.address !== null);
      if (!ack && rec.firstData)
        s += later ? `; later data carries ${toaText(later)}` : '; later data carries no TOA';
      else if (!ack && later) s += `; later packets carry ${toaText(later)}`;
      return s;
    }
    default:
      return '';
  }
}

/** 'the SYN' / 'the handshake ACK' for a role */
function roleName(role: number): string {
  return role === ROLE_SYN ? 'the SYN' : 'the handshake ACK';
}

/**
 * Reasons that depend on the module model (null: the generic text of reasonText fits). The words
 * say which module reads what, so a verdict that differs from `auto` explains itself.
 */
function modelReasonText(
  rec: FlowRecord,
  v: number,
  t: FlowTable,
  slot: number,
  m: JudgeModel,
  readRole: number,
): string | null {
  const row = m.row;
  const toa = rec.toa;
  const name = row.label;
  switch (v) {
    case V_OK: {
      if (!toa) return null;
      let s = `${toaText(toa)} on ${roleName(readRole)}: ${name} reads ${row.reads === 'syn-or-ack' ? 'the SYN and the ACK' : roleName(readRole)}`;
      const facts = readRole === ROLE_SYN ? rec.syn : rec.handshakeAck;
      const n = facts?.toa.filter((x) => x.address !== null).length ?? 0;
      if (n > 1) s += `; ${n} TOAs on that packet, the module keeps the ${row.pick} (${toaText(toa)})`;
      return s;
    }
    case V_LATE:
      if (row.reads === 'syn' && !tfoData(rec))
        return `${toa ? toaText(toa) : 'TOA'} rode on ${toa?.packets.includes('ack') ? 'the handshake ACK' : 'later packets'} but not the SYN: ${name} reads the SYN only`;
      return null;
    case V_KIND_MISMATCH:
      return `${toa ? toaText(toa) : 'TOA'} seen, but ${name} reads ${row.accepts.map(variantLabel).join(', ')}`;
    case V_NAT64: {
      const vi = TOA_VARIANTS.findIndex((x) => x.id === toa?.variant);
      const who = `IPv6 client ${toa?.address ? formatEndpoint(toa.address, toa.port) : ''} in ${toa ? `${toa.kind}/${toa.length}` : 'TOA'} on an IPv4 flow`;
      if (vi >= 0 && m.nat64[vi])
        return `${who}: getpeername() cannot return it; the app must call getsockopt(IPPROTO_IP, 4096) (${name} supports it for ${toa?.kind}/${toa?.length})`;
      return `${who}: ${row.nat64Else}`;
    }
    default:
      void t;
      void slot;
      return null;
  }
}
