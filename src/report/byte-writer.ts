/**
 * Bytes out without strings: `ByteSink`, the output buffer handed on in pieces at line
 * boundaries, and the byte writers the JSON printer (packet-json.ts) builds its lines with.
 *
 * Module state: the writers store into the buffer of the sink last bound with `bindSink` (`D`, and
 * the DataView `V` over it), so a writer takes (position, value) and returns the new position —
 * no sink argument, no object per call.
 */

// ---- output buffer ------------------------------------------------------------------------

type Latin1Writer = { latin1Write(s: string, offset: number): number };
/** Node's internal Buffer#latin1Write (no argument parsing), or the public write() */
const latin1Write: (b: Buffer, s: string, at: number) => number =
  typeof (Buffer.prototype as unknown as Partial<Latin1Writer>).latin1Write === 'function'
    ? (b, s, at) => (b as unknown as Latin1Writer).latin1Write(s, at)
    : (b, s, at) => b.write(s, at, 'latin1');

/** Room one packet may take in the buffer (a JSON line is < 4 KiB; longer text goes out whole). */
export const MAX_PACKET_BYTES = 16 * 1024;

/**
 * Output buffer handed to `onFlush` in one piece once past `flushAt` bytes, always at a line
 * boundary. JSON lines are written straight into `buf` as bytes by writePacketJson (no strings);
 * text lines are copied in with one latin1 write each.
 */
export class ByteSink {
  readonly buf: Buffer;
  /** DataView over buf (multi-byte stores) */
  readonly view: DataView;
  pos = 0;
  constructor(
    private readonly onFlush: (buf: Buffer, length: number) => void,
    readonly flushAt = 64 * 1024,
  ) {
    this.buf = Buffer.allocUnsafe(flushAt + MAX_PACKET_BYTES);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
  }
  flush(): void {
    if (this.pos > 0) {
      const n = this.pos;
      this.pos = 0;
      this.onFlush(this.buf, n);
    }
  }
  /** a line (latin1/ASCII) and its newline; flushes after it when past flushAt */
  line(s: string): void {
    if (s.length + 1 > this.buf.length - this.pos) {
      this.flush();
      if (s.length + 1 > this.buf.length) {
        const b = Buffer.from(`${s}\n`, 'latin1');
        this.onFlush(b, b.length);
        return;
      }
    }
    this.pos += latin1Write(this.buf, s, this.pos);
    this.buf[this.pos++] = 10;
    if (this.pos >= this.flushAt) this.flush();
  }
}

// ---- byte writers: (position, value) → new position, into the current sink's buffer (D/V).
// Small enough for TurboFan to inline. Multi-byte stores go through a DataView (2, 4 or 8 bytes
// per store instead of one JS store per byte, which costs ~2 ns each here); a 4- or 8-byte store
// may write up to 7 bytes past the new position — harmless, as the next write overwrites them
// and the buffer has MAX_PACKET_BYTES of room past flushAt.

/**
 * A constant byte run: its bytes, and the same bytes as 8-byte words (0-padded) read as float64
 * (moved bit-exact by setFloat64: ASCII bytes never form a NaN pattern, whose payload a store
 * might not preserve; a run with a byte >= 0x80 has no words and is copied with set()).
 */
export class Run {
  readonly n: number;
  readonly words: Float64Array;
  constructor(readonly bytes: Uint8Array) {
    this.n = bytes.length;
    const ascii = bytes.every((b) => b < 0x80);
    const w = new Float64Array(ascii ? (bytes.length + 7) >> 3 : 0);
    new Uint8Array(w.buffer).set(bytes);
    this.words = w;
  }
}
export const enc = (s: string): Run => new Run(Uint8Array.from(Buffer.from(s, 'latin1')));

/** the buffer being written (and a DataView over it); set by bindSink */
let D: Uint8Array = new Uint8Array(0);
let V: DataView = new DataView(D.buffer);

/** make the writers below store into `w`'s buffer (once per packet, before the first put) */
export function bindSink(w: ByteSink): void {
  D = w.buf;
  V = w.view;
}

const MAPPED = enc('::ffff:');

const DIG2 = new Uint8Array(200); // "00".."99"
const DIG16 = new Uint16Array(100); // the same pairs as little-endian uint16
for (let i = 0; i < 100; i++) {
  DIG2[2 * i] = 48 + Math.floor(i / 10);
  DIG2[2 * i + 1] = 48 + (i % 10);
  DIG16[i] = DIG2[2 * i] | (DIG2[2 * i + 1] << 8);
}
const DIG4 = new Int32Array(10000); // "0000".."9999" as little-endian int32
for (let i = 0; i < 10000; i++) {
  const a = Math.floor(i / 100);
  DIG4[i] = DIG16[a] | (DIG16[i - a * 100] << 16);
}
const HEX16 = new Uint16Array(256); // two hex digits per byte value (little-endian uint16)
for (let i = 0; i < 256; i++) {
  const h = i.toString(16).padStart(2, '0');
  HEX16[i] = h.charCodeAt(0) | (h.charCodeAt(1) << 8);
}
const HEX_DIGIT = Uint8Array.from(Buffer.from('0123456789abcdef', 'latin1'));
/** decimal of each byte value and a '.', as little-endian int32 ("1." "10." "255."), and its length */
const DEC_DOT = new Int32Array(256);
const DEC_DOT_LEN = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  const s = `${i}.`;
  let w = 0;
  for (let j = 0; j < s.length; j++) w |= s.charCodeAt(j) << (8 * j);
  DEC_DOT[i] = w;
  DEC_DOT_LEN[i] = s.length;
}
const GROUPS = new Uint16Array(8);

export function putBytes(p: number, r: Run): number {
  const n = r.n;
  const w = r.words;
  if (n > 64 || w.length === 0) {
    D.set(r.bytes, p); // memcpy (a fixed ~12 ns) wins over word stores (~1.5 ns / 8 bytes) past ~64 bytes
    return p + n;
  }
  const v = V;
  for (let i = 0; i < w.length; i++) v.setFloat64(p + 8 * i, w[i], true);
  return p + n;
}

export function putByte(p: number, b: number): number {
  V.setUint8(p, b);
  return p + 1;
}

/** decimal of 0 <= n < 10^8 (a small integer: no heap number crosses the call) */
function putU27(p: number, n: number): number {
  const v = V;
  if (n < 10000) {
    if (n < 100) {
      if (n < 10) {
        v.setUint8(p, 48 + n);
        return p + 1;
      }
      v.setUint16(p, DIG16[n], true);
      return p + 2;
    }
    // 3 digits: drop the leading '0' of the 4-digit word (the 4th byte stored is a harmless 0)
    if (n < 1000) {
      v.setInt32(p, DIG4[n] >>> 8, true);
      return p + 3;
    }
    v.setInt32(p, DIG4[n], true);
    return p + 4;
  }
  const h = (n / 10000) | 0;
  const l = n - h * 10000;
  let q = p;
  if (h < 100) {
    if (h < 10) v.setUint8(q++, 48 + h);
    else {
      v.setUint16(q, DIG16[h], true);
      q += 2;
    }
  } else if (h < 1000) {
    v.setInt32(q, DIG4[h] >>> 8, true);
    q += 3;
  } else {
    v.setInt32(q, DIG4[h], true);
    q += 4;
  }
  v.setInt32(q, DIG4[l], true);
  return q + 4;
}

/** exactly 8 digits of 0 <= x < 10^8 */
function put8(p: number, x: number): number {
  const h = (x / 10000) | 0;
  V.setInt32(p, DIG4[h], true);
  V.setInt32(p + 4, DIG4[x - h * 10000], true);
  return p + 8;
}

/** `top` (1..99) then exactly 8 digits of `rest` */
function putTopRest(p: number, top: number, rest: number): number {
  if (top < 10) V.setUint8(p++, 48 + top);
  else {
    V.setUint16(p, DIG16[top], true);
    p += 2;
  }
  return put8(p, rest);
}

/** decimal of a non-negative integer < 2^53 */
export function putUint(p: number, n: number): number {
  if (n < 100000000) return putU27(p, n);
  // split so the rest is small-integer arithmetic (double % is a slow fmod)
  const hi = Math.floor(n / 100000000);
  if (hi < 100) return putTopRest(p, hi, n - hi * 100000000);
  return put8(putUint(p, hi), n - hi * 100000000);
}

/** decimal of the big-endian uint32 at b[o] (read here, so no heap number is passed around) */
export function putU32At(p: number, b: Uint8Array, o: number): number {
  const n = ((b[o] << 8) | b[o + 1]) * 65536 + ((b[o + 2] << 8) | b[o + 3]);
  if (n < 100000000) return putU27(p, n);
  const top = Math.floor(n / 100000000); // 1..42
  return putTopRest(p, top, n - top * 100000000);
}

export function putInt(p: number, n: number): number {
  if (n >= 0) return putUint(p, n);
  V.setUint8(p, 45);
  return putUint(p + 1, -n);
}

/** zero-padded to `width` digits (width 6 or 9; v < 10^width) */
export function putPadded(p: number, n: number, width: number): number {
  if (width === 6) {
    const h = (n / 10000) | 0;
    V.setUint16(p, DIG16[h], true);
    V.setInt32(p + 2, DIG4[n - h * 10000], true);
    return p + 6;
  }
  const top = (n / 100000000) | 0;
  V.setUint8(p, 48 + top);
  return put8(p + 1, n - top * 100000000);
}

export function putHex(p: number, src: Uint8Array, from: number, to: number): number {
  const v = V;
  let i = from;
  for (; i + 1 < to; i += 2) {
    v.setInt32(p, HEX16[src[i]] | (HEX16[src[i + 1]] << 16), true);
    p += 4;
  }
  if (i < to) {
    v.setUint16(p, HEX16[src[i]], true);
    p += 2;
  }
  return p;
}

function putDec8(p: number, x: number): number {
  const v = V;
  if (x >= 100) {
    const h = (x / 100) | 0;
    v.setUint8(p, 48 + h);
    v.setUint16(p + 1, DIG16[x - h * 100], true);
    return p + 3;
  }
  if (x >= 10) {
    v.setUint16(p, DIG16[x], true);
    return p + 2;
  }
  v.setUint8(p, 48 + x);
  return p + 1;
}

export function putIpv4(p: number, src: Uint8Array, o: number): number {
  const v = V;
  let b = src[o];
  v.setInt32(p, DEC_DOT[b], true);
  p += DEC_DOT_LEN[b];
  b = src[o + 1];
  v.setInt32(p, DEC_DOT[b], true);
  p += DEC_DOT_LEN[b];
  b = src[o + 2];
  v.setInt32(p, DEC_DOT[b], true);
  p += DEC_DOT_LEN[b];
  return putDec8(p, src[o + 3]);
}

/** RFC 5952 text (same output as ipv6ToString) */
export function putIpv6(p: number, src: Uint8Array, o: number): number {
  const g = GROUPS;
  for (let i = 0; i < 8; i++) g[i] = (src[o + 2 * i] << 8) | src[o + 2 * i + 1];
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    p = putBytes(p, MAPPED);
    return putIpv4(p, src, o + 12);
  }
  let bestStart = -1;
  let bestLen = 1;
  let cur = -1;
  for (let i = 0; i < 8; i++) {
    if (g[i] === 0) {
      if (cur < 0) cur = i;
      if (i - cur + 1 > bestLen) {
        bestLen = i - cur + 1;
        bestStart = cur;
      }
    } else cur = -1;
  }
  const d = D;
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      d[p++] = 58;
      d[p++] = 58;
      i += bestLen - 1;
      continue;
    }
    if (i > 0 && d[p - 1] !== 58) d[p++] = 58;
    const x = g[i];
    if (x >= 0x1000) d[p++] = HEX_DIGIT[x >> 12];
    if (x >= 0x100) d[p++] = HEX_DIGIT[(x >> 8) & 15];
    if (x >= 0x10) d[p++] = HEX_DIGIT[(x >> 4) & 15];
    d[p++] = HEX_DIGIT[x & 15];
  }
  return p;
}

export function putAddr(p: number, src: Uint8Array, o: number, version: number): number {
  return version === 4 ? putIpv4(p, src, o) : putIpv6(p, src, o);
}

export function putStr(p: number, s: string): number {
  const d = D;
  for (let i = 0; i < s.length; i++) d[p + i] = s.charCodeAt(i);
  return p + s.length;
}
