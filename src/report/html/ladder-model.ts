/**
 * Step 1 of a ladder: one report flow (the JSON object `read --json` prints) → a small plain model
 * the drawing functions take (ladder-draw.ts). Decoding happens here: each packet's option area
 * (`options.bytes`, when the report kept it) is walked with the project's one option decoder, so
 * the blocks name options exactly as `print` does. Without the bytes (older reports) the ladder still
 * shows the TOA sightings and the list's summary.
 *
 * The model is JSON: the page embeds the models of connections it does not draw up front and the
 * browser draws them with the same functions.
 */
import { decodeOptions, decodeToa, formatEndpoint, TOA_VARIANTS, toaVariantAt } from '../../decode/index.js';
import type { TcpOption } from '../../decode/types.js';
import type { ReportFlow, ReportPacket } from '../build.js';

/**
 * An option block: [text, class, tooltip?]. Classes: o plain, n nop, t TOA, e EOL, m where the
 * list breaks (malformed), h never read (after EOL / after the break), x cut by the capture.
 */
export type LadderBlock = [string, string] | [string, string, string];

export interface LadderPacket {
  /** syn | synAck | ack | data | end */
  role: string;
  /** label on the arrow, e.g. 'SYN', 'handshake ACK' */
  name: string;
  /** 1 client→server, -1 server→client, 0 unknown direction (FIN/RST marker) */
  dir: number;
  /** seconds after the flow's first packet; null when not captured / not recorded */
  t: number | null;
  /** TCP flags as the report writes them ('S', 'SA', 'A', 'PA'), '' for ghosts */
  flags: string;
  len: number;
  /** ok | bad | unverifiable | not-checked | '' */
  ck: string;
  rx: number;
  /** the module reads this packet */
  read: boolean;
  /** not captured: drawn dashed */
  ghost: boolean;
  blocks: LadderBlock[];
  /** extra words beside the arrow (TFO, retransmissions, free option room) */
  notes: string[];
}

export interface LadderModel {
  id: number;
  verdict: string;
  reason: string;
  client: string;
  server: string;
  /** what the module reads, in words */
  readText: string;
  packets: LadderPacket[];
  /** notes under the ladder (TOA on later packets...) */
  footer: string[];
}

const ROLES: Array<{
  key: 'syn' | 'synAck' | 'ack' | 'data';
  name: string;
  dir: number;
  ghost: string | null;
}> = [
  { key: 'syn', name: 'SYN', dir: 1, ghost: 'SYN not captured' },
  { key: 'synAck', name: 'SYN-ACK', dir: -1, ghost: 'SYN-ACK not captured' },
  { key: 'ack', name: 'handshake ACK', dir: 1, ghost: 'handshake ACK not captured' },
  { key: 'data', name: 'first data', dir: 1, ghost: null },
];

function hexBytes(h: string): Uint8Array | null {
  if (typeof h !== 'string' || h.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(h)) return null;
  const b = new Uint8Array(h.length / 2);
  for (let i = 0; i < b.length; i++) b[i] = Number.parseInt(h.slice(i * 2, i * 2 + 2), 16);
  return b;
}

function ep(a: string | null | undefined, p: number | null | undefined): string {
  return a ? formatEndpoint(a, p ?? null) : '?';
}

function toaBlock(kind: number, length: number, addr: string): LadderBlock {
  return [
    `TOA ${addr} · kind ${kind} len ${length}`,
    't',
    `TCP option kind ${kind}, length ${length}: client ${addr}`,
  ];
}

function optionBlock(o: TcpOption, p: ReportPacket, hidden: boolean): LadderBlock {
  const cls = hidden ? 'h' : '';
  const sight = p.toa?.find((s) => s.kind === o.kind && s.length === o.length);
  if (o.toa || (sight && !hidden)) {
    const addr = o.toa ? ep(o.toa.address, o.toa.port) : ep(sight?.address, sight?.port);
    const b = toaBlock(o.kind, o.length, addr);
    if (hidden) return [`${b[0]} (never read)`, 'h', `${b[2]}; it sits after EOL, where parsers stop`];
    return b;
  }
  let text: string;
  switch (o.name) {
    case 'mss':
      text = o.mss !== undefined ? `MSS ${o.mss}` : `MSS len ${o.length}`;
      break;
    case 'wscale':
      text = o.wscale !== undefined ? `WS ${o.wscale}` : `WS len ${o.length}`;
      break;
    case 'sackOK':
      text = 'SACK-perm';
      break;
    case 'sack':
      text = `SACK ${o.sack?.length ?? '?'} block${o.sack?.length === 1 ? '' : 's'}`;
      break;
    case 'TS':
      text = 'TS';
      break;
    case 'nop':
      return ['NOP', hidden ? 'h' : 'n', 'kind 1: padding'];
    case 'eol':
      return ['EOL', 'e', 'kind 0: end of option list; parsers stop here'];
    case 'tfo':
      text = o.tfoCookie ? 'TFO cookie' : 'TFO cookie request';
      break;
    default:
      text = `${o.name} ${o.kind}/${o.length}`;
  }
  const title = `kind ${o.kind}, length ${o.length}${o.raw ? `: ${o.raw}` : ''}`;
  return [text, cls || 'o', title];
}

function neverRead(b: Uint8Array): LadderBlock {
  return [
    `${b.length} byte${b.length === 1 ? '' : 's'} never read`,
    'h',
    Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(''),
  ];
}

/** the option blocks of one packet */
export function packetBlocks(p: ReportPacket): LadderBlock[] {
  const out: LadderBlock[] = [];
  const opts = p.options ?? ({} as ReportPacket['options']);
  const bytes = opts.bytes !== undefined ? hexBytes(opts.bytes) : null;
  if (bytes) {
    const area = Number.isInteger(opts.areaLength) ? opts.areaLength : bytes.length;
    if (area === 0) return [['no options', 'n', 'the TCP header has no option bytes']];
    const d = decodeOptions(bytes, 0, area, bytes.length);
    for (const o of d.options) out.push(optionBlock(o, p, false));
    if (d.malformed && d.malformed.malformed !== 'after-eol') {
      const m = d.malformed;
      const len = m.length < 0 ? 'no length byte' : `length ${m.length}`;
      out.push([
        `✗ list breaks: ${m.malformed}`,
        'm',
        `kind ${m.kind}, ${len} at option byte ${m.at}: parsers stop here; nothing after it is read`,
      ]);
      // what sits behind the break: a TOA the module never reaches is named with its address
      let q = m.at + 1;
      let from = m.at;
      while (q + 1 < bytes.length) {
        const vi = toaVariantAt(bytes, q, bytes[q]!, bytes[q + 1]!);
        const len = vi >= 0 ? TOA_VARIANTS[vi]!.length : 0;
        if (vi >= 0 && q + len <= bytes.length && TOA_VARIANTS[vi]!.carriesClient) {
          if (q > from) out.push(neverRead(bytes.subarray(from, q)));
          const t = decodeToa(bytes, q, vi);
          const b = toaBlock(t.kind, t.length, ep(t.address, t.port));
          out.push([`${b[0]} (never read)`, 'h', `${b[2]}; it sits after the break, where parsers stop`]);
          q += len;
          from = q;
        } else q++;
      }
      if (from < bytes.length) out.push(neverRead(bytes.subarray(from)));
    }
    for (const o of d.afterEol) out.push(optionBlock(o, p, true));
    if (d.truncated) out.push(['✂ capture ends here', 'x', 'the capture snap length cut the option list']);
    if ((opts.toaAfterBreak || opts.toaAfterEol) && !out.some((b) => b[1] === 'h' && b[0].startsWith('TOA')))
      out.push(['TOA-shaped option after the break (never read)', 'h', 'the module stops at the break']);
    return out;
  }
  // no bytes: what the summary says
  for (const s of p.toa ?? []) out.push(toaBlock(s.kind, s.length, ep(s.address, s.port)));
  const used = opts.used ?? 0;
  const toaBytes = (p.toa ?? []).reduce((n, s) => n + (s.length ?? 0), 0);
  if (used > toaBytes)
    out.push([
      `${used - toaBytes} option bytes`,
      'o',
      'this report does not carry the option bytes (made without --json/--html); only TOA is shown',
    ]);
  if (opts.break && opts.break !== 'none' && opts.break !== 'truncated')
    out.push([`✗ list breaks: ${opts.break}`, 'm', 'parsers stop here; nothing after it is read']);
  if (opts.break === 'truncated')
    out.push(['✂ capture ends here', 'x', 'the capture snap length cut the option list']);
  if (opts.toaAfterEol) out.push(['TOA after EOL (never read)', 'h', 'parsers stop at EOL']);
  if (opts.toaAfterBreak) out.push(['TOA after the break (never read)', 'h', 'parsers stop at the break']);
  return out;
}

/** which roles the module reads, from handshake.readPacket (unknown values: none, said in words) */
export function readRoles(readPacket: unknown): { roles: string[]; text: string } {
  switch (readPacket) {
    case 'ack':
      return { roles: ['ack'], text: 'the module reads the handshake ACK' };
    case 'syn':
      return { roles: ['syn'], text: 'the module reads the SYN' };
    case 'syn-or-ack':
      return { roles: ['syn', 'ack'], text: 'the module reads the SYN or the handshake ACK' };
    case null:
    case undefined:
      return { roles: [], text: 'the packet the module reads was not captured' };
    default:
      return { roles: [], text: `the module reads: ${String(readPacket)}` };
  }
}

function num(v: unknown, d = 0): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : d;
}

export function ladderModel(f: ReportFlow): LadderModel {
  const hs = (f.handshake ?? {}) as Partial<ReportFlow['handshake']>;
  const read = readRoles(hs.readPacket);
  const t0 = num(f.firstTs, 0);
  type Row = LadderPacket & { key: number };
  const rows: Row[] = [];
  let carry = t0;
  for (const r of ROLES) {
    const p = hs[r.key] as ReportPacket | null | undefined;
    if (p && typeof p === 'object') {
      const ts = num(p.ts, carry);
      carry = ts;
      const notes: string[] = [];
      if (p.tfo) notes.push('TFO');
      if (num(p.retransmissions) > 0) notes.push(`retransmitted ×${num(p.retransmissions)}`);
      if (p.options && (r.key === 'ack' || r.key === 'syn') && num(p.options.free, 40) < 8)
        notes.push(`${num(p.options.free)} B option room left`);
      rows.push({
        key: ts,
        role: r.key,
        name: r.name,
        dir: r.dir,
        t: ts - t0,
        flags: String(p.flags ?? ''),
        len: num(p.payloadLength),
        ck: String(p.checksum ?? ''),
        rx: num(p.retransmissions),
        read: read.roles.includes(r.key),
        ghost: false,
        blocks: packetBlocks(p),
        notes,
      });
    } else if (
      r.ghost &&
      !(r.key === 'ack' && hs.tfo && read.roles.includes('syn') && !read.roles.includes('ack'))
    ) {
      rows.push({
        key: carry,
        role: r.key,
        name: r.ghost,
        dir: r.dir,
        t: null,
        flags: '',
        len: 0,
        ck: '',
        rx: 0,
        read: read.roles.includes(r.key),
        ghost: true,
        blocks: [],
        notes: [],
      });
    }
  }
  rows.sort((a, b) => a.key - b.key);
  const packets: LadderPacket[] = rows.map(({ key: _k, ...p }) => p);
  if (hs.fin || hs.rst) {
    const what = [hs.fin ? 'FIN' : '', hs.rst ? 'RST' : ''].filter(Boolean).join(' and ');
    packets.push({
      role: 'end',
      name: `${what} seen`,
      dir: 0,
      t: num(f.lastTs, t0) - t0,
      flags: hs.rst ? 'R' : 'F',
      len: 0,
      ck: '',
      rx: 0,
      read: false,
      ghost: false,
      blocks: [],
      notes: ['last packet; side not kept'],
    });
  }
  const footer: string[] = [];
  if (hs.serverSpokeFirst) footer.push('the server spoke first (e.g. SSH, SMTP, MySQL)');
  const later = Array.isArray(f.laterToa) ? f.laterToa : [];
  if (later.length)
    footer.push(
      `TOA also on later packets: ${later
        .slice(0, 4)
        .map((s) => `${ep(s.address, s.port)} (kind ${s.kind} len ${s.length})`)
        .join(', ')}${later.length > 4 ? ` and ${later.length - 4} more` : ''}`,
    );
  return {
    id: num(f.id),
    verdict: String(f.verdict ?? ''),
    reason: String(f.reason ?? ''),
    client: String(f.client ?? '?'),
    server: String(f.server ?? '?'),
    readText: read.text,
    packets,
    footer,
  };
}
