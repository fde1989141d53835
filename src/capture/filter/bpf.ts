/**
 * A classic BPF (cBPF) program and its interpreter: the filter machine libpcap compiles pcap-filter
 * expressions into. We never parse pcap-filter syntax ourselves; libpcap does (see compile.ts), and
 * this runs what it produced, per packet, with the semantics of libpcap's own interpreter
 * (the-tcpdump-group/libpcap, bpf_filter.c, pcapint_filter_with_aux_data):
 *  - registers A, X and scratch M[0..15] start at 0; arithmetic is unsigned 32-bit;
 *  - a load past the captured bytes ends the program with 0 (packet rejected);
 *  - division or modulo by zero ends it with 0;
 *  - the result is the number of bytes to keep; 0 means "not selected".
 * `len` loads give the length on the wire, as in libpcap. Linux "ancillary" loads (k >= SKF_AD_OFF,
 * only emitted for live Linux captures) are rejected by parseBpf: a file has no such data.
 *
 * The instruction encoding is the one in libpcap's pcap/bpf.h (BPF_CLASS, BPF_SIZE, BPF_MODE, BPF_OP,
 * BPF_SRC, BPF_RVAL, BPF_MISCOP); `tcpdump -ddd` prints it as "code jt jf k" in decimal.
 */

// classes
const LD = 0x00;
const LDX = 0x01;
const ST = 0x02;
const STX = 0x03;
const ALU = 0x04;
const JMP = 0x05;
const RET = 0x06;
const MISC = 0x07;
// sizes
const W = 0x00;
const H = 0x08;
const B = 0x10;
// modes
const IMM = 0x00;
const ABS = 0x20;
const IND = 0x40;
const MEM = 0x60;
const LEN = 0x80;
const MSH = 0xa0;
// ALU / JMP operations
const ADD = 0x00;
const SUB = 0x10;
const MUL = 0x20;
const DIV = 0x30;
const OR = 0x40;
const AND = 0x50;
const LSH = 0x60;
const RSH = 0x70;
const NEG = 0x80;
const MOD = 0x90;
const XOR = 0xa0;
const JA = 0x00;
const JEQ = 0x10;
const JGT = 0x20;
const JGE = 0x30;
const JSET = 0x40;
// sources / return values / misc
const SRC_X = 0x08;
const RVAL_X = 0x08;
const RVAL_A = 0x10;
const TXA = 0x80;

/** Linux socket-filter ancillary data offset (SKF_AD_OFF = -0x1000): live-only loads */
const SKF_AD_OFF = 0xfffff000;
const MEMWORDS = 16;

/** A validated program: one entry per instruction. */
export interface BpfProgram {
  readonly code: Uint16Array;
  readonly jt: Uint8Array;
  readonly jf: Uint8Array;
  /** the 32-bit constant, as an unsigned value */
  readonly k: Uint32Array;
}

/** Why a program text was not accepted (message only; the caller wraps it with a hint). */
export class BpfParseError extends Error {}

/**
 * Parse `tcpdump -ddd` output ("N" then N lines "code jt jf k") and validate it as libpcap's
 * bpf_validate does: jumps stay inside the program, scratch indexes < 16, constant divisors != 0,
 * the last instruction returns.
 */
export function parseBpf(text: string): BpfProgram {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const n = Number(lines[0]);
  if (!Number.isInteger(n) || n < 1 || n > 4096 || lines.length !== n + 1)
    throw new BpfParseError(`not a BPF program listing (${lines.length} lines)`);
  const code = new Uint16Array(n);
  const jt = new Uint8Array(n);
  const jf = new Uint8Array(n);
  const k = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const f = lines[i + 1]!.split(/\s+/).map(Number);
    if (f.length !== 4 || f.some((x) => !Number.isInteger(x) || x < 0))
      throw new BpfParseError(`instruction ${i}: not "code jt jf k": ${lines[i + 1]}`);
    code[i] = f[0]!;
    jt[i] = f[1]!;
    jf[i] = f[2]!;
    k[i] = f[3]! >>> 0;
  }
  for (let i = 0; i < n; i++) {
    const c = code[i]!;
    const cls = c & 7;
    const mode = c & 0xe0;
    if ((cls === LD || cls === LDX) && mode === MEM && k[i]! >= MEMWORDS)
      throw new BpfParseError(`instruction ${i}: scratch index ${k[i]}`);
    if ((cls === ST || cls === STX) && k[i]! >= MEMWORDS)
      throw new BpfParseError(`instruction ${i}: scratch index ${k[i]}`);
    if (cls === LD && (mode === ABS || mode === IND) && k[i]! >= SKF_AD_OFF)
      throw new BpfParseError(`instruction ${i}: Linux ancillary load (live captures only)`);
    if (cls === ALU && (c & SRC_X) === 0 && ((c & 0xf0) === DIV || (c & 0xf0) === MOD) && k[i] === 0)
      throw new BpfParseError(`instruction ${i}: division by constant 0`);
    if (cls === JMP) {
      const far = (c & 0xf0) === JA ? k[i]! : Math.max(jt[i]!, jf[i]!);
      if (i + 1 + far >= n) throw new BpfParseError(`instruction ${i}: jump past the end`);
    }
  }
  if ((code[n - 1]! & 7) !== RET) throw new BpfParseError('the last instruction does not return');
  return { code, jt, jf, k };
}

/**
 * Run `p` over the packet bytes buf[off, off + caplen) whose length on the wire was `wirelen`.
 * Returns the program's result (0 = not selected).
 */
export function bpfRun(p: BpfProgram, buf: Uint8Array, off: number, caplen: number, wirelen: number): number {
  const code = p.code;
  const K = p.k;
  let A = 0;
  let X = 0;
  let mem: Uint32Array | null = null;
  let pc = 0;
  for (;;) {
    const c = code[pc]!;
    const k = K[pc]!;
    switch (c & 7) {
      case LD:
      case LDX: {
        const toX = (c & 7) === LDX;
        const mode = c & 0xe0;
        let v: number;
        if (mode === IMM) v = k;
        else if (mode === LEN) v = wirelen;
        else if (mode === MEM) v = mem === null ? 0 : mem[k]!;
        else if (mode === MSH) {
          // ldx 4*([k]&0xf): the IPv4 header length
          if (k >= caplen) return 0;
          v = (buf[off + k]! & 0xf) << 2;
        } else {
          const at = mode === IND ? (X + k) >>> 0 : k;
          const size = c & 0x18;
          const width = size === W ? 4 : size === H ? 2 : size === B ? 1 : 0;
          if (width === 0 || (mode !== ABS && mode !== IND)) return 0;
          if (at > caplen - width || caplen < width) return 0;
          const q = off + at;
          v =
            width === 1
              ? buf[q]!
              : width === 2
                ? (buf[q]! << 8) | buf[q + 1]!
                : ((buf[q]! << 24) | (buf[q + 1]! << 16) | (buf[q + 2]! << 8) | buf[q + 3]!) >>> 0;
        }
        if (toX) X = v >>> 0;
        else A = v >>> 0;
        pc++;
        break;
      }
      case ST:
      case STX:
        if (mem === null) mem = new Uint32Array(MEMWORDS);
        mem[k] = (c & 7) === ST ? A : X;
        pc++;
        break;
      case ALU: {
        const v = (c & SRC_X) !== 0 ? X : k;
        switch (c & 0xf0) {
          case ADD:
            A = (A + v) >>> 0;
            break;
          case SUB:
            A = (A - v) >>> 0;
            break;
          case MUL:
            A = Math.imul(A, v) >>> 0;
            break;
          case DIV:
            if (v === 0) return 0;
            A = Math.floor(A / v) >>> 0;
            break;
          case MOD:
            if (v === 0) return 0;
            A = (A % v) >>> 0;
            break;
          case OR:
            A = (A | v) >>> 0;
            break;
          case AND:
            A = (A & v) >>> 0;
            break;
          case XOR:
            A = (A ^ v) >>> 0;
            break;
          case LSH:
            A = v >= 32 ? 0 : (A << v) >>> 0;
            break;
          case RSH:
            A = v >= 32 ? 0 : A >>> v;
            break;
          case NEG:
            A = -A >>> 0;
            break;
          default:
            return 0;
        }
        pc++;
        break;
      }
      case JMP: {
        const op = c & 0xf0;
        if (op === JA) {
          pc += 1 + k;
          break;
        }
        const v = (c & SRC_X) !== 0 ? X : k;
        const yes =
          op === JEQ
            ? A === v
            : op === JGT
              ? A > v
              : op === JGE
                ? A >= v
                : op === JSET
                  ? (A & v) !== 0
                  : false;
        pc += 1 + (yes ? p.jt[pc]! : p.jf[pc]!);
        break;
      }
      case RET: {
        const r = c & 0x18;
        return r === RVAL_A ? A : r === RVAL_X ? X : k;
      }
      case MISC:
        if ((c & 0xf8) === TXA) A = X;
        else X = A;
        pc++;
        break;
      default:
        return 0;
    }
  }
}
