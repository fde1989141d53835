/**
 * The classic-BPF interpreter on hand-written programs: the semantics libpcap's bpf_filter.c gives
 * (loads past the capture reject, division by zero rejects, unsigned arithmetic and compares,
 * scratch memory, `len` is the wire length, X-indexed loads, 4*([k]&0xf)), and parseBpf's checks.
 */
import { describe, expect, it } from 'vitest';
import { BpfParseError, bpfRun, parseBpf } from '../../src/capture/filter/bpf.js';

/** build a `tcpdump -ddd` listing from [code, jt, jf, k] rows */
const prog = (rows: Array<[number, number, number, number]>) =>
  parseBpf(`${rows.length}\n${rows.map((r) => r.map((x) => x >>> 0).join(' ')).join('\n')}\n`);
const run = (rows: Array<[number, number, number, number]>, bytes: number[], wire = bytes.length) =>
  bpfRun(prog(rows), Uint8Array.from(bytes), 0, bytes.length, wire);

// opcodes (pcap/bpf.h)
const LD_W_ABS = 0x20;
const LD_H_ABS = 0x28;
const LD_B_ABS = 0x30;
const LD_B_IND = 0x50;
const LD_IMM = 0x00;
const LD_LEN = 0x80;
const LD_MEM = 0x60;
const LDX_IMM = 0x01;
const LDX_MSH = 0xb1;
const ST = 0x02;
const ALU_DIV_K = 0x34;
const ALU_DIV_X = 0x3c;
const ALU_SUB_K = 0x14;
const ALU_NEG = 0x84;
const JEQ_K = 0x15;
const JGT_K = 0x25;
const JSET_K = 0x45;
const JA = 0x05;
const RET_K = 0x06;
const RET_A = 0x16;
const TAX = 0x07;
const TXA = 0x87;

describe('bpfRun', () => {
  it('returns what the program returns; 0 rejects', () => {
    expect(run([[RET_K, 0, 0, 262144]], [])).toBe(262144);
    expect(run([[RET_K, 0, 0, 0]], [1])).toBe(0);
  });

  it('loads are big-endian; a load past the captured bytes rejects', () => {
    const bytes = [0x12, 0x34, 0x56, 0x78, 0x9a];
    expect(
      run(
        [
          [LD_W_ABS, 0, 0, 1],
          [RET_A, 0, 0, 0],
        ],
        bytes,
      ),
    ).toBe(0x3456789a);
    expect(
      run(
        [
          [LD_H_ABS, 0, 0, 3],
          [RET_A, 0, 0, 0],
        ],
        bytes,
      ),
    ).toBe(0x789a);
    expect(
      run(
        [
          [LD_H_ABS, 0, 0, 4],
          [RET_K, 0, 0, 1],
        ],
        bytes,
      ),
    ).toBe(0);
    expect(
      run(
        [
          [LD_W_ABS, 0, 0, 2],
          [RET_K, 0, 0, 1],
        ],
        bytes,
      ),
    ).toBe(0);
    expect(
      run(
        [
          [LD_B_ABS, 0, 0, 0x7fffffff],
          [RET_K, 0, 0, 1],
        ],
        bytes,
      ),
    ).toBe(0);
  });

  it('len is the wire length, not the captured length', () => {
    expect(
      run(
        [
          [LD_LEN, 0, 0, 0],
          [RET_A, 0, 0, 0],
        ],
        [1, 2, 3],
        1500,
      ),
    ).toBe(1500);
  });

  it('X-indexed loads and the IPv4 header-length load', () => {
    // ldx 4*([0]&0xf) on 0x45 → 20; ldb [x + 1]
    const bytes = Array.from({ length: 24 }, (_, i) => i);
    bytes[0] = 0x45;
    expect(
      run(
        [
          [LDX_MSH, 0, 0, 0],
          [LD_B_IND, 0, 0, 1],
          [RET_A, 0, 0, 0],
        ],
        bytes,
      ),
    ).toBe(21);
    expect(
      run(
        [
          [LDX_MSH, 0, 0, 0],
          [LD_B_IND, 0, 0, 4],
          [RET_K, 0, 0, 1],
        ],
        bytes,
      ),
    ).toBe(0);
  });

  it('unsigned arithmetic and compares; division by zero rejects', () => {
    expect(
      run(
        [
          [LD_IMM, 0, 0, 1],
          [ALU_SUB_K, 0, 0, 2],
          [RET_A, 0, 0, 0],
        ],
        [],
      ),
    ).toBe(0xffffffff);
    expect(
      run(
        [
          [LD_IMM, 0, 0, 5],
          [ALU_NEG, 0, 0, 0],
          [RET_A, 0, 0, 0],
        ],
        [],
      ),
    ).toBe(0xfffffffb);
    // 0xffffffff > 1 unsigned
    expect(
      run(
        [
          [LD_IMM, 0, 0, 0xffffffff],
          [JGT_K, 0, 1, 1],
          [RET_K, 0, 0, 7],
          [RET_K, 0, 0, 0],
        ],
        [],
      ),
    ).toBe(7);
    expect(
      run(
        [
          [LD_IMM, 0, 0, 9],
          [ALU_DIV_K, 0, 0, 2],
          [RET_A, 0, 0, 0],
        ],
        [],
      ),
    ).toBe(4);
    expect(
      run(
        [
          [LD_IMM, 0, 0, 9],
          [LDX_IMM, 0, 0, 0],
          [ALU_DIV_X, 0, 0, 0],
          [RET_K, 0, 0, 1],
        ],
        [],
      ),
    ).toBe(0);
  });

  it('jumps (jeq, jset, ja), scratch memory, tax/txa', () => {
    const p: Array<[number, number, number, number]> = [
      [LD_B_ABS, 0, 0, 0],
      [JSET_K, 0, 3, 0x02], // SYN bit?
      [ST, 0, 0, 3],
      [LD_IMM, 0, 0, 0],
      [JA, 0, 0, 1],
      [RET_K, 0, 0, 0],
      [LD_MEM, 0, 0, 3],
      [TAX, 0, 0, 0],
      [LD_IMM, 0, 0, 0],
      [TXA, 0, 0, 0],
      [JEQ_K, 0, 1, 0x12],
      [RET_K, 0, 0, 99],
      [RET_K, 0, 0, 0],
    ];
    expect(run(p, [0x12])).toBe(99);
    expect(run(p, [0x10])).toBe(0);
    expect(run(p, [0x02])).toBe(0);
  });
});

describe('parseBpf', () => {
  it('rejects what libpcap would not run', () => {
    expect(() => parseBpf('')).toThrow(BpfParseError);
    expect(() => parseBpf('2\n6 0 0 1\n')).toThrow(/listing/);
    expect(() => parseBpf('1\n6 0 0 x\n')).toThrow(/code jt jf k/);
    expect(() => prog([[LD_IMM, 0, 0, 0]])).toThrow(/does not return/);
    expect(() =>
      prog([
        [JEQ_K, 5, 0, 1],
        [RET_K, 0, 0, 1],
      ]),
    ).toThrow(/jump past the end/);
    expect(() =>
      prog([
        [ST, 0, 0, 16],
        [RET_K, 0, 0, 1],
      ]),
    ).toThrow(/scratch index/);
    expect(() =>
      prog([
        [ALU_DIV_K, 0, 0, 0],
        [RET_K, 0, 0, 1],
      ]),
    ).toThrow(/division by constant 0/);
    expect(() =>
      prog([
        [LD_H_ABS, 0, 0, 0xfffff000],
        [RET_K, 0, 0, 1],
      ]),
    ).toThrow(/ancillary/);
  });
});
