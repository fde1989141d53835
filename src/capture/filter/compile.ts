/**
 * pcap-filter expressions (`tcp port 80 and not host 10.0.0.1`) for capture FILES, with tcpdump's
 * exact meaning: libpcap compiles the expression, we run the compiled classic-BPF program (bpf.ts).
 *
 * The compiler is tcpdump itself: `tcpdump -r - -ddd EXPR` with a 24-byte pcap file header on its
 * standard input compiles EXPR for that header's link type (the-tcpdump-group/tcpdump, tcpdump.c
 * main(): with -r, `pd` is the opened savefile; `pcap_compile(pd, &fcode, cmdbuf, ...)` compiles for
 * its link type, then `if (dflag) { bpf_dump(&fcode, dflag); ... exit }` prints the program and
 * stops before reading a packet). That needs no privileges and no interface, and works for every
 * link type libpcap knows, unlike `-y TYPE`, which asks a live interface to switch to the type
 * (root, and only the types that interface offers: `tcpdump -L`). libpcap's own
 * testprogs/filtertest.c does the same with pcap_open_dead(dlt), but distributions do not package
 * it. The program is the optimised one (tcpdump's default -O). One compilation per link type,
 * cached; a pcapng file with several link types gets one program each, as tcpdump recompiles when
 * the link type changes.
 *
 * Names in an expression (`host example.com`) are resolved by libpcap when compiling, as tcpdump does.
 */
import { spawnSync } from 'node:child_process';
import { findTcpdump } from '../live/tcpdump-engine.js';
import { CaptureError, type Frame } from '../types.js';
import { BpfParseError, type BpfProgram, bpfRun, parseBpf } from './bpf.js';

/** snapshot length written into the fake header (libpcap's MAXIMUM_SNAPLEN) */
const SNAPLEN = 262144;
const COMPILE_TIMEOUT_MS = 10_000;

export const NO_COMPILER_HINT =
  'filter expressions are compiled by libpcap through tcpdump: install it (apt-get install tcpdump, ' +
  'dnf install tcpdump), or filter with --port/--host/--toa-only';

/** a classic pcap file header (microsecond, little-endian) for `linkType` */
function pcapHeader(linkType: number): Buffer {
  const h = Buffer.alloc(24);
  h.writeUInt32LE(0xa1b2c3d4, 0);
  h.writeUInt16LE(2, 4);
  h.writeUInt16LE(4, 6);
  h.writeUInt32LE(SNAPLEN, 16);
  h.writeUInt32LE(linkType >>> 0, 20);
  return h;
}

/** tcpdump's complaint without its "tcpdump: " prefix and the "reading from file" chatter */
function compilerMessage(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^reading from file|^Warning: /.test(l));
  const last = lines[lines.length - 1] ?? 'failed';
  return last.replace(/^tcpdump:\s*/, '');
}

export interface CompileOptions {
  /** the tcpdump binary (default: findTcpdump()) */
  tcpdump?: string | null;
}

/**
 * Compile `expr` for `linkType` into a classic BPF program. Throws CaptureError (exit 2 at the CLI)
 * when no compiler is installed or libpcap rejects the expression for this link type.
 */
export function compileFilter(expr: string, linkType: number, o: CompileOptions = {}): BpfProgram {
  const bin = o.tcpdump === undefined ? findTcpdump() : o.tcpdump;
  if (!bin)
    throw new CaptureError(
      'NO_FILTER_COMPILER',
      `cannot compile the filter '${expr}': tcpdump is not installed`,
      NO_COMPILER_HINT,
    );
  const r = spawnSync(bin, ['-r', '-', '-ddd', '--', expr], {
    input: pcapHeader(linkType),
    encoding: 'latin1',
    timeout: COMPILE_TIMEOUT_MS,
    env: { ...process.env, LC_ALL: 'C' },
  });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES')
      throw new CaptureError(
        'NO_FILTER_COMPILER',
        `cannot compile the filter '${expr}': ${bin}: ${code}`,
        NO_COMPILER_HINT,
      );
    throw new CaptureError(
      'FILTER_COMPILE_FAILED',
      `cannot compile the filter '${expr}': ${code === 'ETIMEDOUT' ? 'tcpdump did not answer in 10 s' : (r.error.message ?? code)}`,
      'a host name in the expression needs DNS; use addresses',
    );
  }
  if (r.status !== 0) {
    const name = /link-type (\S+)/.exec(r.stderr)?.[1] ?? String(linkType);
    throw new CaptureError(
      'BAD_FILTER',
      `invalid filter '${expr}' (link type ${name}): ${compilerMessage(r.stderr)}`,
      /syntax error|parse/.test(r.stderr)
        ? "pcap-filter syntax as in tcpdump, e.g. 'tcp port 80 and host 10.0.0.5' (man 7 pcap-filter)"
        : `libpcap cannot apply it to ${name} packets (tcpdump -r refuses it on this capture too); leave that part out`,
    );
  }
  try {
    return parseBpf(r.stdout);
  } catch (e) {
    if (e instanceof BpfParseError)
      throw new CaptureError(
        'BAD_FILTER',
        `cannot use the filter '${expr}' on a file: ${e.message}`,
        'expressions that need live-capture data (ifindex, VLAN offload) work with `toa-doctor live` only',
      );
    throw e;
  }
}

/**
 * A pcap-filter expression applied to frames: one compiled program per link type (compiled the first
 * time a frame of that type arrives). `matches` is what tcpdump decides for the same packet.
 */
export class FrameFilter {
  private readonly programs = new Map<number, BpfProgram>();
  private lastType = -1;
  private last: BpfProgram | null = null;

  constructor(
    readonly expression: string,
    private readonly opts: CompileOptions = {},
  ) {}

  /** compile for `linkType` now (to report a bad expression before any output) */
  prepare(linkType: number): void {
    this.program(linkType);
  }

  private program(linkType: number): BpfProgram {
    if (linkType === this.lastType && this.last !== null) return this.last;
    let p = this.programs.get(linkType);
    if (p === undefined) {
      p = compileFilter(this.expression, linkType, this.opts);
      this.programs.set(linkType, p);
    }
    this.lastType = linkType;
    this.last = p;
    return p;
  }

  matches(f: Frame): boolean {
    return bpfRun(this.program(f.linkType), f.buf, f.offset, f.capturedLength, f.originalLength) !== 0;
  }
}
