/**
 * One packet → one NDJSON object, written straight from the frame bytes into a ByteSink's buffer
 * (no intermediate strings or objects on the common path) so `print --json` stays above 1 M
 * packets/s. The content and key order of an option are those of JSON.stringify(decodeOneOption()).
 *
 * Module state: caches of constant byte runs (per timestamp second, per small-value group, per
 * short option, per option-list layout), each bounded; none changes what is written.
 */
import type { Frame } from '../capture/types.js';
import {
  CHECKSUM_STATUS_NAMES,
  type ChecksumStatus,
  DECODE_STATUS_NAMES,
  type DecodedPacket,
  DecodeStatus,
  decodeOneOption,
  linkTypeName,
  optionStep,
  stopReason,
  TOA_VARIANTS,
  tcpChecksum,
  toaVariantAt,
  WalkStop,
} from '../decode/index.js';
import {
  ByteSink,
  bindSink,
  enc,
  putAddr,
  putByte,
  putBytes,
  putHex,
  putInt,
  putIpv4,
  putIpv6,
  putPadded,
  putStr,
  putU32At,
  putUint,
  type Run,
} from './byte-writer.js';
import { flagsText } from './packet-text.js';

// ---- JSON ---------------------------------------------------------------------------------

const K = {
  nul: enc('null'),
  ts: enc('{"ts":'),
  length: enc(',"length":'),
  dst: enc('","dst":"'),
  ipEnd: enc('"}'),
  ack: enc(',"ack":'),
  malformed: enc('],"malformed":'),
  afterEol: enc(',"afterEol":['),
  endListTruncFalse: enc('],"truncated":false}}\n'),
  endListTruncTrue: enc('],"truncated":true}}\n'),
  endTruncFalse: enc(',"truncated":false}}\n'),
  endTruncTrue: enc(',"truncated":true}}\n'),
  truncTrueEnd: enc(',"truncated":true}}\n'),
  truncFalseEnd: enc(',"truncated":false}}\n'),
  end: enc('}\n'),
  kind: enc('{"kind":'),
  mMalformed: enc(',"malformed":"'),
  mAt: enc('","at":'),
  ts8: enc('{"kind":8,"length":10,"name":"TS","raw":"080a'),
  nopNopTs: enc(
    '{"kind":1,"length":1,"name":"nop","raw":"01"},{"kind":1,"length":1,"name":"nop","raw":"01"},{"kind":8,"length":10,"name":"TS","raw":"080a',
  ),
  tsval: enc('","tsval":'),
  tsecr: enc(',"tsecr":'),
  toaName: enc(',"name":"toa","raw":"'),
  port: enc('","port":'),
  close2: enc('}}'),
};

/** `,"flags":"<letters>","flagBits":<n>,"doff":<d>,"win":` per (flag byte << 4 | data offset) */
const FLAG_CH: Run[] = [];
for (let fl = 0; fl < 256; fl++)
  for (let doff = 0; doff < 16; doff++)
    FLAG_CH.push(enc(`,"flags":"${flagsText(fl)}","flagBits":${fl},"doff":${doff},"win":`));
/** whole-option JSON of short options (<= 4 bytes: mss, wscale, sackOK, nop...) keyed by their bytes */
const shortOptionCache = new Map<number, Run>();
/** TOA variants with no extra fields: written directly; `head` = `","toa":{...,"address":"` */
interface ToaFast {
  head: Run;
  v6: boolean;
  hasPort: boolean;
}
const TOA_FAST: Array<ToaFast | null> = TOA_VARIANTS.map((v) =>
  v.layout.extra.length === 0 && v.family && v.layout.addrOffset === 4
    ? {
        head: enc(
          `","toa":{"variant":"${v.id}","kind":${v.kind},"length":${v.length},"family":"${v.family}","address":"`,
        ),
        v6: v.family === 'ipv6',
        hasPort: v.hasPort,
      }
    : null,
);

/** the TS option at buf[q] after its `...,"raw":"080a` head, up to before its `}` */
function putTsVals(p: number, buf: Uint8Array, q: number): number {
  p = putHex(p, buf, q + 2, q + 10);
  p = putBytes(p, K.tsval);
  p = putU32At(p, buf, q + 2);
  p = putBytes(p, K.tsecr);
  return putU32At(p, buf, q + 6);
}

/** the TS option at buf[q] after its `...,"raw":"080a` head */
function putTsRest(p: number, buf: Uint8Array, q: number): number {
  return putByte(putTsVals(p, buf, q), 125); // }
}

/** one option as JSON: same content and key order as JSON.stringify(decodeOneOption(...)) */
function putOption(p: number, buf: Uint8Array, q: number, k: number, n: number): number {
  if (n <= 4) {
    // kind, length and up to 2 data bytes: a small-integer key (doubles as Map keys are slow)
    const key = ((k * 5 + n) * 256 + (n > 2 ? buf[q + 2] : 0)) * 256 + (n > 3 ? buf[q + 3] : 0);
    let hit = shortOptionCache.get(key);
    if (hit === undefined) {
      hit = enc(JSON.stringify(decodeOneOption(buf, q, k, n)));
      if (shortOptionCache.size < 8192) shortOptionCache.set(key, hit);
    }
    return putBytes(p, hit);
  }
  if (k === 8 && n === 10) return putTsRest(putBytes(p, K.ts8), buf, q);
  const vi = toaVariantAt(buf, q, k, n);
  const fast = vi >= 0 ? TOA_FAST[vi] : null;
  if (fast !== null) {
    p = putBytes(p, K.kind);
    p = putUint(p, k);
    p = putBytes(p, K.length);
    p = putUint(p, n);
    p = putBytes(p, K.toaName);
    return putBytes(putToaRest(p, buf, q, n, fast), K.close2);
  }
  return putStr(p, JSON.stringify(decodeOneOption(buf, q, k, n)));
}

/** a TOA_FAST option after its `{"kind":k,"length":n,"name":"toa","raw":"` head, up to before `}}` */
function putToaRest(p: number, buf: Uint8Array, q: number, n: number, fast: ToaFast): number {
  p = putHex(p, buf, q, q + n);
  p = putBytes(p, fast.head);
  p = fast.v6 ? putIpv6(p, buf, q + 4) : putIpv4(p, buf, q + 4);
  p = putBytes(p, K.port);
  return fast.hasPort ? putUint(p, (buf[q + 2] << 8) | buf[q + 3]) : putBytes(p, K.nul);
}

// ---- option layouts: the whole option list from a cached plan ---------------------------------
// Most packets carry one of a few option lists that differ only in TS values and TOA contents
// (SYN: mss,sackOK,TS,nop,wscale; ACK: nop,nop,TS; TOA,nop,nop,TS). A plan holds the bytes that
// must match (every kind and length byte, all data of the other options) and the output as
// constant runs around the variable parts, so such a list costs a few byte compares, two or three
// copies and the TS/TOA values instead of a walk with a lookup per option.

const OP_TS = -1; // an op >= 0 is a TOA_FAST variant index
const MAX_PLANS = 2048;
const MAX_PLAN_CHAIN = 8;

class OptPlan {
  next: OptPlan | null = null;
  constructor(
    readonly doff: number,
    /** offsets (from the first option byte) and values of the bytes that must match */
    readonly chkAt: Uint8Array,
    readonly chkVal: Uint8Array,
    /** runs[0], ops[0] at opAt[0], runs[1], ..., runs[ops.length] */
    readonly runs: Run[],
    readonly ops: Int32Array,
    readonly opAt: Int32Array,
    readonly opLen: Int32Array,
  ) {}
}

const planTable: Array<OptPlan | null> = new Array<OptPlan | null>(4096).fill(null);
let planCount = 0;
const planSlot = (doff: number, b0: number, b1: number): number =>
  (doff * 0x1f3 + b0 * 0x2d + b1 * 0x9b1) & 4095;

/** a plan for the complete, well-formed list at buf[start, end) (no EOL, no SACK-like data), or null */
function buildPlan(buf: Uint8Array, start: number, end: number, doff: number): OptPlan | null {
  const at: number[] = [];
  const val: number[] = [];
  const runs: Run[] = [];
  const ops: number[] = [];
  const opAt: number[] = [];
  const opLen: number[] = [];
  let text = '';
  let q = start;
  while (q < end) {
    const n = optionStep(buf, q, end, end);
    if (n < 0) return null;
    const k = buf[q];
    if (k === 0) return null;
    if (q > start) text += ',';
    const rel = q - start;
    at.push(rel);
    val.push(k);
    if (n > 1) {
      at.push(rel + 1);
      val.push(n);
    }
    if (k === 8 && n === 10) {
      runs.push(enc(`${text}{"kind":8,"length":10,"name":"TS","raw":"080a`));
      ops.push(OP_TS);
      opAt.push(rel);
      opLen.push(n);
      text = '}';
    } else {
      const vi = toaVariantAt(buf, q, k, n);
      if (vi >= 0) {
        if (TOA_FAST[vi] === null) return null;
        runs.push(enc(`${text}{"kind":${k},"length":${n},"name":"toa","raw":"`));
        ops.push(vi);
        opAt.push(rel);
        opLen.push(n);
        text = '}}';
      } else {
        if (n > 4) return null; // data that changes per packet (SACK blocks, MD5, cookies...)
        for (let i = 2; i < n; i++) {
          at.push(rel + i);
          val.push(buf[q + i]);
        }
        text += JSON.stringify(decodeOneOption(buf, q, k, n));
      }
    }
    q += n;
  }
  runs.push(enc(`${text}],"truncated":false}}\n`));
  return new OptPlan(
    doff,
    Uint8Array.from(at),
    Uint8Array.from(val),
    runs,
    Int32Array.from(ops),
    Int32Array.from(opAt),
    Int32Array.from(opLen),
  );
}

/** the plan matching the list at buf[start, ...) of a `doff` header, or null */
function findPlan(buf: Uint8Array, start: number, doff: number): OptPlan | null {
  let pl = planTable[planSlot(doff, buf[start], buf[start + 1])];
  search: while (pl !== null) {
    if (pl.doff === doff) {
      const at = pl.chkAt;
      const val = pl.chkVal;
      for (let i = 0; i < at.length; i++) {
        if (buf[start + at[i]] !== val[i]) {
          pl = pl.next;
          continue search;
        }
      }
      return pl;
    }
    pl = pl.next;
  }
  return null;
}

/** write the list with a plan; -1 when a TOA-shaped option is not the plan's variant (a TFO 254) */
function putPlan(p: number, buf: Uint8Array, start: number, pl: OptPlan): number {
  const ops = pl.ops;
  const runs = pl.runs;
  const p0 = p;
  for (let i = 0; i < ops.length; i++) {
    p = putBytes(p, runs[i]);
    const op = ops[i];
    const q = start + pl.opAt[i];
    if (op === OP_TS) p = putTsVals(p, buf, q);
    else {
      const n = pl.opLen[i];
      if (toaVariantAt(buf, q, buf[q], n) !== op) return -1 - p0;
      p = putToaRest(p, buf, q, n, TOA_FAST[op] as ToaFast);
    }
  }
  return putBytes(p, runs[ops.length]);
}

/** putOptionsAndEnd through a plan when the list is complete and one matches (or can be made) */
function putOptionsPlanned(p: number, f: Frame, pk: DecodedPacket): number {
  const doff = pk.dataOffset;
  const start = pk.tcpOffset + 20;
  const end = start + doff * 4 - 20;
  if (doff > 5 && pk.capturedEnd >= end) {
    const buf = f.buf;
    let pl = findPlan(buf, start, doff);
    if (pl === null && planCount < MAX_PLANS) {
      pl = buildPlan(buf, start, end, doff);
      if (pl !== null) {
        const slot = planSlot(doff, buf[start], buf[start + 1]);
        let chain = 0;
        for (let c = planTable[slot]; c !== null; c = c.next) chain++;
        if (chain < MAX_PLAN_CHAIN) {
          pl.next = planTable[slot];
          planTable[slot] = pl;
          planCount++;
        }
      }
    }
    if (pl !== null) {
      const r = putPlan(p, buf, start, pl);
      if (r >= 0) return r;
    }
  }
  return putOptionsAndEnd(p, f, pk);
}

function putMalformed(p: number, kind: number, len: number, reason: string, at: number): number {
  p = putBytes(p, K.kind);
  p = putUint(p, kind);
  p = putBytes(p, K.length);
  p = putInt(p, len);
  p = putBytes(p, K.mMalformed);
  p = putStr(p, reason);
  p = putBytes(p, K.mAt);
  p = putUint(p, at);
  return putByte(p, 125);
}

/**
 * `<options>](,"malformed":{...})(,"afterEol":[...]),"truncated":bool}}\n` after `"options":[` —
 * the same content as decodeOptions. Ends the packet (closes tcp and the object).
 */
function putOptionsAndEnd(p: number, f: Frame, pk: DecodedPacket): number {
  const buf = f.buf;
  const start = pk.tcpOffset + 20;
  const end = pk.tcpOffset + pk.dataOffset * 4;
  const cend = Math.min(pk.capturedEnd, end);
  let q = start;
  let eol = -1;
  let closed = false;
  let first = true;
  for (;;) {
    const n = optionStep(buf, q, end, cend);
    if (n === WalkStop.END || n === WalkStop.TRUNCATED) break;
    if (n < 0) {
      p = putBytes(p, K.malformed);
      p = putMalformed(p, buf[q], n === WalkStop.NO_LENGTH ? -1 : buf[q + 1], stopReason(n), q - start);
      closed = true;
      break;
    }
    const k = buf[q];
    if (!first) p = putByte(p, 44);
    first = false;
    if (
      k === 1 &&
      q + 12 <= cend &&
      buf[q + 1] === 1 &&
      buf[q + 2] === 8 &&
      buf[q + 3] === 10 &&
      q + 12 <= end
    ) {
      // NOP,NOP,TS: the most common option run (every segment with timestamps)
      p = putBytes(p, K.nopNopTs);
      p = putTsRest(p, buf, q + 2);
      q += 12;
      continue;
    }
    p = putOption(p, buf, q, k, n);
    q += n;
    if (k === 0) {
      eol = q - 1;
      break;
    }
  }
  if (eol >= 0) {
    // bytes after EOL: first the malformed marker, then the options found there
    let r = eol + 1;
    let firstAfter = -1;
    for (;;) {
      const n = optionStep(buf, r, end, cend);
      if (n < 0) {
        if (n !== WalkStop.END && n !== WalkStop.TRUNCATED && firstAfter < 0) firstAfter = r;
        break;
      }
      if (buf[r] !== 0 && firstAfter < 0) firstAfter = r;
      r += n;
    }
    if (firstAfter >= 0) {
      const len = firstAfter + 1 < cend && buf[firstAfter] > 1 ? buf[firstAfter + 1] : 1;
      p = putBytes(p, K.malformed);
      p = putMalformed(p, buf[firstAfter], len, 'after-eol', firstAfter - start);
      closed = true;
      let listed = false;
      r = eol + 1;
      for (;;) {
        const n = optionStep(buf, r, end, cend);
        if (n < 0) break;
        const k = buf[r];
        if (k !== 0) {
          if (listed) p = putByte(p, 44);
          else p = putBytes(p, K.afterEol);
          listed = true;
          p = putOption(p, buf, r, k, n);
        }
        r += n;
      }
      if (listed) p = putByte(p, 93); // ]
    }
  }
  const t = cend < end;
  return putBytes(
    p,
    closed ? (t ? K.endTruncTrue : K.endTruncFalse) : t ? K.endListTruncTrue : K.endListTruncFalse,
  );
}

/** `<pre><n><suf>` for 0 <= n < 65536, each built on first use (at most MAX_NUM_RUNS of them) */
class NumRuns {
  readonly runs: Array<Run | undefined> = new Array<Run | undefined>(65536).fill(undefined);
  count = 0;
  readonly pre: Run;
  readonly suf: Run;
  constructor(
    readonly preText: string,
    readonly sufText: string,
  ) {
    this.pre = enc(preText);
    this.suf = enc(sufText);
  }
}
const MAX_NUM_RUNS = 16384;

/** `<pre><n><suf>` of a NumRuns table: one copy instead of three writes for repeating values */
function putNumRun(p: number, c: NumRuns, n: number): number {
  let r = n >= 0 && n < 65536 ? c.runs[n] : undefined;
  if (r === undefined) {
    if (c.count >= MAX_NUM_RUNS || !(n >= 0 && n < 65536))
      return putBytes(putUint(putBytes(p, c.pre), n), c.suf);
    r = enc(`${c.preText}${n}${c.sufText}`);
    c.runs[n] = r;
    c.count++;
  }
  return putBytes(p, r);
}

const CAPLEN_LEN = new NumRuns(',"caplen":', ',"len":');
const LENGTH_SRC = new NumRuns(',"length":', ',"src":"');
const SPORT_DPORT = new NumRuns(',"tcp":{"sport":', ',"dport":');
const DPORT_SEQ = new NumRuns('', ',"seq":');
const WIN_PAYLOAD = new NumRuns('', ',"payload":');
/** `<payload length>,"checksum":"<name>","options":[` per TCP checksum status */
const PAYLOAD_CK = [0, 1, 2, 3].map(
  (c) => new NumRuns('', `,"checksum":"${CHECKSUM_STATUS_NAMES[c as ChecksumStatus]}","options":[`),
);

/** `{"ts":<sec>.` of the last second seen */
let tsSecCached = -1;
let tsHead: Run = K.ts;

/**
 * `,"link":"..","status":"..",("vlans":n,)"ip":{"version":v,"proto":p,"checksum":"..","fragment":b,("fragOffset":n,)"ttl":t,"id":`
 * for one combination of those small values (cached: they repeat for nearly every packet)
 */
const groupCache = new Map<number, Run>();
function groupA(f: Frame, pk: DecodedPacket): Run {
  const lt = f.linkType >>> 0;
  const small =
    lt < 65536 && pk.vlanIds < 16 && pk.ipProto >= -1 && pk.ipProto < 256 && pk.ipFragOffset === 0;
  const key = small
    ? (((((lt * 8 + pk.status) * 16 + pk.vlanIds) * 4 + (pk.ipVersion >> 1)) * 257 + (pk.ipProto + 1)) * 8 +
        pk.ipChecksum * 2 +
        (pk.ipFragment ? 1 : 0)) *
        256 +
      (pk.ipTtl & 255)
    : -1;
  let b = small ? groupCache.get(key) : undefined;
  if (b === undefined) {
    let s = `,"link":"${linkTypeName(f.linkType)}","status":"${DECODE_STATUS_NAMES[pk.status]}"`;
    if (pk.vlanIds) s += `,"vlans":${pk.vlanIds}`;
    if (pk.ipVersion !== 0 && pk.srcAddrOffset >= 0) {
      s += `,"ip":{"version":${pk.ipVersion},"proto":${pk.ipProto},"checksum":"${CHECKSUM_STATUS_NAMES[pk.ipChecksum]}","fragment":${pk.ipFragment}`;
      if (pk.ipFragOffset) s += `,"fragOffset":${pk.ipFragOffset}`;
      s += `,"ttl":${pk.ipTtl},"id":`;
    }
    b = enc(s);
    if (small && groupCache.size < 4096) groupCache.set(key, b);
  }
  return b;
}

/**
 * Write one NDJSON object and its newline straight into the sink's buffer (bytes, no strings).
 * Keys are ordered so constant runs are long (JSON key order carries no meaning):
 * {ts, caplen, len, link, status, vlans?, ip:{version, proto, checksum, fragment, ttl, id, length, src, dst},
 *  tcp:{sport, dport, seq, ack, flags, flagBits, doff, win, payload, checksum, options, malformed?, afterEol?, truncated}}
 */
export function writePacketJson(w: ByteSink, f: Frame, pk: DecodedPacket): void {
  if (w.pos >= w.flushAt) w.flush();
  bindSink(w);
  const buf = f.buf;
  if (f.tsSec !== tsSecCached) {
    tsSecCached = f.tsSec;
    tsHead = enc(`{"ts":${f.tsSec}.`);
  }
  let p = putBytes(w.pos, tsHead);
  const ns = f.tsNsec;
  p = ns % 1000 === 0 ? putPadded(p, ns / 1000, 6) : putPadded(p, ns, 9);
  p = putNumRun(p, CAPLEN_LEN, f.capturedLength);
  p = putUint(p, f.originalLength);
  p = putBytes(p, groupA(f, pk));
  const v = pk.ipVersion;
  if (v !== 0 && pk.srcAddrOffset >= 0) {
    p = putUint(p, pk.ipId);
    p = putNumRun(p, LENGTH_SRC, pk.ipTotalLength);
    p = putAddr(p, buf, pk.srcAddrOffset, v);
    p = putBytes(p, K.dst);
    p = putAddr(p, buf, pk.dstAddrOffset, v);
    p = putBytes(p, K.ipEnd);
  }
  const st = pk.status;
  if (st === DecodeStatus.OK || st === DecodeStatus.BAD_TCP) {
    p = putNumRun(p, SPORT_DPORT, pk.srcPort);
    p = putNumRun(p, DPORT_SEQ, pk.dstPort);
    // pk.seq / pk.ack, read from the header (decode took them from there)
    p = putU32At(p, buf, pk.tcpOffset + 4);
    p = putBytes(p, K.ack);
    p = putU32At(p, buf, pk.tcpOffset + 8);
    p = putBytes(p, FLAG_CH[(pk.flags << 4) | pk.dataOffset]);
    if (st === DecodeStatus.OK) {
      p = putNumRun(p, WIN_PAYLOAD, pk.window);
      p = putNumRun(p, PAYLOAD_CK[tcpChecksum(f, pk)], pk.payloadLength);
      w.pos = putOptionsPlanned(p, f, pk);
      return;
    }
    p = putUint(p, pk.window);
    p = putBytes(p, K.truncFalseEnd);
  } else if (st === DecodeStatus.TRUNCATED && pk.tcpOffset >= 0 && pk.capturedEnd - pk.tcpOffset >= 4) {
    p = putNumRun(p, SPORT_DPORT, pk.srcPort);
    p = putUint(p, pk.dstPort);
    p = putBytes(p, K.truncTrueEnd);
  } else p = putBytes(p, K.end);
  w.pos = p;
}

let jsonParts: Buffer[] = [];
const jsonSink = new ByteSink((b, n) => {
  jsonParts.push(Buffer.from(b.subarray(0, n)));
});

/** One NDJSON object as a string (no newline) — convenience; printing uses writePacketJson. */
export function packetJson(f: Frame, p: DecodedPacket): string {
  jsonParts = [];
  writePacketJson(jsonSink, f, p);
  jsonSink.flush();
  return Buffer.concat(jsonParts).toString('latin1').slice(0, -1);
}

/** JSON number text of the timestamp: 6 decimals, 9 when the capture has sub-µs digits */
export function tsJson(f: Frame): string {
  if (f.tsNsec % 1000 === 0) return `${f.tsSec}.${String(1_000_000 + f.tsNsec / 1000).slice(1)}`;
  return `${f.tsSec}.${String(1_000_000_000 + f.tsNsec).slice(1)}`;
}
