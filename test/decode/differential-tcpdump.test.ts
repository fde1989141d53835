/**
 * Differential test: our option decoder vs `tcpdump -nn -v -r` on a generated capture with a few
 * thousand random option lists. We compare, per packet, the sequence of option kinds tcpdump
 * prints and whether/where it prints `[bad opt]`.
 *
 * tcpdump quirks are MODELLED (the option loop of tcp_print() in tcpdump's print-tcp.c), on top of our own decodeOptions output:
 *  - fixed-size options (mss 2, wscale 1, sackOK 0, TS 8, md5 16, uto 2 data bytes) with a
 *    different length byte: tcpdump prints `[len N]` and advances only the fixed data length, then
 *    re-parses the remaining bytes as options. This is what turns the Alibaba CDN TOA (28/7, 28/19)
 *    into `uto ... [len 7]` followed by junk. The model re-runs OUR decoder on the remainder.
 *  - a fixed-size option whose fixed data length does not fit in the rest of the area: `[bad opt]`.
 *  - kind 254 with length 2 or 3 (no room for an ExID): `exp[bad opt]`.
 *  - tcpdump stops printing after EOL (we list options after EOL separately).
 * EXCLUDED from the generator (tcpdump decodes them with rules we do not model): kinds 6, 7, 11, 12,
 * 13 (echo/echoreply/cc/ccnew/ccecho: fixed 4-byte data), 20 (scps) and 30 (mptcp: tcpdump validates
 * each subtype's length and prints `[bad opt]` for ones it dislikes). When junk re-parsed after a
 * quirk contains one of those kinds, the packet is skipped (counted; must stay rare).
 * Every packet carries 2 payload bytes so a kind byte at the very end of the area reads its "length"
 * from the payload (tcpdump: `[bad opt]`) instead of running off the capture (`[|tcp]`).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeOptions } from '../../src/decode/index.js';
import { ipTcp, ipToBytes, linkWrap, writePcap } from '../helpers/packets.js';
import { commandMissingReason, toolSkipReason } from '../helpers/tools.js';

// a missing tcpdump is a printed skip, and a failure under CI (test/helpers/tools.ts)
const NO_TCPDUMP = toolSkipReason([commandMissingReason('tcpdump')], undefined, 'tcpdump differential test');

/** deterministic PRNG (mulberry32) */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: T[]) => xs[Math.floor(next() * xs.length)],
    bytes: (n: number) => Array.from({ length: n }, () => Math.floor(next() * 256)),
    chance: (p: number) => next() < p,
  };
}

const EXCLUDED = new Set([6, 7, 11, 12, 13, 20, 30]);
type R = ReturnType<typeof rng>;

function token(r: R): number[] {
  const ipv4 = () => [...ipToBytes(`${r.int(224)}.${r.int(256)}.${r.int(256)}.${r.int(256)}`)];
  const ipv6 = () => r.bytes(16);
  const port = () => [r.int(256), r.int(256)];
  switch (r.int(22)) {
    case 0:
    case 1:
      return [1];
    case 2:
      return [0];
    case 3:
      return r.chance(0.8)
        ? [2, 4, 5, 0xb4]
        : [2, r.pick([2, 3, 5, 6]), ...r.bytes(4)].slice(0, 2 + r.int(5));
    case 4:
      return [3, 3, r.int(15)];
    case 5:
      return [4, 2];
    case 6: {
      const n = r.int(4);
      return r.chance(0.8) ? [5, 2 + 8 * n, ...r.bytes(8 * n)] : [5, 5, ...r.bytes(3)];
    }
    case 7:
      return [8, 10, ...r.bytes(8)];
    case 8:
      return [19, 18, ...r.bytes(16)];
    case 9:
      return r.chance(0.7) ? [28, 4, ...r.bytes(2)] : [28, 7, 1, ...ipv4()];
    case 10:
      return [28, 19, 2, ...ipv6()];
    case 11: {
      const n = 4 + r.int(4);
      return [29, n, ...r.bytes(n - 2)];
    }
    case 12:
      return ((n) => [34, n, ...r.bytes(n - 2)])(r.pick([2, 6, 10]));
    case 13:
      return [254, 8, ...port(), ...ipv4()];
    case 14:
      return [r.pick([253, 254]), 20, ...port(), ...ipv6()];
    case 15:
      return [200, 8, ...port(), ...ipv4()];
    case 16:
      return r.pick([
        [253, 8, ...port(), ...ipv4()],
        [254, 16, ...port(), ...ipv4(), 0, 0, ...port(), ...ipv4()],
        [201, 6, ...r.bytes(4)],
        [202, 8, ...port(), ...ipv4()],
        [250, 8, ...port(), ...ipv4()],
        [252, 20, ...port(), ...ipv4(), ...r.bytes(4), ...ipv4(), ...port(), 0, 0],
      ]);
    case 17: {
      // experimental: short (no ExID), random ExID, or TFO magic
      const n = r.pick([2, 3, 4, 6, 8]);
      const data = r.chance(0.3) ? [0xf9, 0x89, ...r.bytes(6)] : r.bytes(8);
      return [254, n, ...data.slice(0, n - 2)];
    }
    case 18: {
      let k = r.int(256);
      while (EXCLUDED.has(k) || k < 2) k = r.int(256);
      const n = 2 + r.int(8);
      return [k, n, ...r.bytes(n - 2)];
    }
    case 19: // malformed: length 0 or 1
      return [r.pick([2, 8, 99, 200, 254]), r.int(2)];
    case 20: // malformed: length past the area
      return [r.pick([3, 99, 200, 254]), 30 + r.int(20), ...r.bytes(4)];
    default:
      return [1, 1];
  }
}

function randomOptions(r: R): number[] {
  if (r.chance(0.02)) return [249, 40, ...r.bytes(38)];
  const out: number[] = [];
  const n = 1 + r.int(6);
  for (let i = 0; i < n; i++) {
    const t = token(r);
    if (out.length + t.length > 40) break;
    out.push(...t);
  }
  return out;
}

const NAME_KIND: Record<string, number> = {
  eol: 0,
  nop: 1,
  mss: 2,
  wscale: 3,
  sackOK: 4,
  sack: 5,
  TS: 8,
  md5: 19,
  uto: 28,
  'tcp-ao': 29,
  mptcp: 30,
  tfo: 34,
};

interface View {
  kinds: number[];
  bad: boolean;
  trunc: boolean;
  skip?: boolean;
}

/** Parse the `options [...]` part of one tcpdump line. */
function parseTcpdump(line: string): View {
  const i = line.indexOf('options [');
  if (i < 0) return { kinds: [], bad: false, trunc: line.includes('[|tcp]') };
  let s = line.slice(i + 'options ['.length);
  s = s.replace(/shared secret not supplied with -M, can't check - /g, '');
  const bad = s.includes('[bad opt]');
  const trunc = s.includes('[|tcp]');
  const cuts = [
    s.indexOf('[bad opt]'),
    s.indexOf('[|tcp]'),
    s.indexOf('], length'),
    s.lastIndexOf(']'),
  ].filter((x) => x >= 0);
  s = s.slice(0, Math.min(...cuts));
  const kinds: number[] = [];
  for (const raw of s.split(',')) {
    const tok = raw.trim();
    if (!tok) continue;
    const w = tok.split(/[\s[]/)[0];
    if (w.startsWith('exp')) kinds.push(254);
    else if (w.startsWith('unknown-')) kinds.push(Number(w.slice(8)));
    else if (w in NAME_KIND) kinds.push(NAME_KIND[w]);
    else kinds.push(-1000); // unexpected name: fails the comparison
  }
  return { kinds, bad, trunc };
}

/** tcpdump's data length for fixed-size options */
const TCPDUMP_FIXED: Record<number, number> = { 2: 2, 3: 1, 4: 0, 8: 8, 19: 16, 28: 2 };

/** What tcpdump should print, derived from OUR decoder plus the modelled quirks. */
function expectedView(buf: Buffer, start: number, end: number): View {
  const d = decodeOptions(buf, start, end - start);
  const kinds: number[] = [];
  let p = start;
  for (const o of d.options) {
    if (EXCLUDED.has(o.kind)) return { kinds, bad: false, trunc: false, skip: true };
    kinds.push(o.kind);
    if (o.kind === 0) return { kinds, bad: false, trunc: false };
    if (o.kind === 254 && o.length < 4) return { kinds, bad: true, trunc: false };
    const fixed = TCPDUMP_FIXED[o.kind];
    if (fixed !== undefined && o.length !== fixed + 2) {
      const after = p + 2 + fixed;
      if (after > end) return { kinds, bad: true, trunc: false };
      const rest = expectedView(buf, after, end);
      return { kinds: [...kinds, ...rest.kinds], bad: rest.bad, trunc: rest.trunc, skip: rest.skip };
    }
    p += o.length;
  }
  const bad = d.malformed !== null && d.malformed.malformed !== 'after-eol';
  if (bad && d.malformed && EXCLUDED.has(d.malformed.kind)) return { kinds, bad, trunc: false, skip: true };
  return { kinds, bad, trunc: d.truncated };
}

describe('differential: option kinds and [bad opt] vs tcpdump', () => {
  it.skipIf(NO_TCPDUMP !== null)('agrees with tcpdump -nn -v -r on 3000 random option lists', () => {
    const r = rng(0x70a);
    const N = 3000;
    const recs: Array<{ data: Buffer }> = [];
    const areas: Buffer[] = [];
    for (let i = 0; i < N; i++) {
      const o = randomOptions(r);
      const v6 = i % 5 === 4;
      const ip = ipTcp({
        src: v6 ? '2001:db8::1' : '192.0.2.1',
        dst: v6 ? '2001:db8::2' : '192.0.2.2',
        sport: 10000 + (i % 50000),
        dport: 9999,
        flags: 'S',
        seq: i,
        options: o,
        payload: Buffer.from([r.int(256), r.int(256)]),
      });
      const t = v6 ? 40 : 20;
      const doff = ip[t + 12] >> 4;
      areas.push(ip.subarray(t + 20, t + doff * 4 + 2));
      recs.push({ data: linkWrap('en10mb', ip) });
    }
    const dir = mkdtempSync(join(tmpdir(), 'toa-diff-'));
    const f = join(dir, 'random-options.pcap');
    writeFileSync(f, writePcap(recs));
    const out = execFileSync('tcpdump', ['-nn', '-v', '-r', f], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const lines = out.split('\n').filter((l) => l.includes('Flags ['));
    expect(lines).toHaveLength(N);
    let skipped = 0;
    let compared = 0;
    let withBad = 0;
    let withToa = 0;
    const mismatches: string[] = [];
    for (let i = 0; i < N; i++) {
      const area = areas[i];
      const exp = expectedView(area, 0, area.length - 2);
      if (exp.skip) {
        skipped++;
        continue;
      }
      const got = parseTcpdump(lines[i]);
      compared++;
      if (exp.bad) withBad++;
      if (decodeOptions(area, 0, area.length - 2).options.some((o) => o.toa)) withToa++;
      const same =
        JSON.stringify(got) === JSON.stringify({ kinds: exp.kinds, bad: exp.bad, trunc: exp.trunc });
      if (!same && mismatches.length < 10)
        mismatches.push(
          `#${i} ${area.toString('hex')}\n  tcpdump: ${JSON.stringify(got)}\n  ours:    ${JSON.stringify(exp)}\n  ${lines[i]}`,
        );
    }
    expect(mismatches, mismatches.join('\n')).toEqual([]);
    expect(skipped).toBeLessThan(N * 0.05);
    // the generator really exercises what matters
    expect(withBad).toBeGreaterThan(N * 0.1);
    expect(withToa).toBeGreaterThan(N * 0.3);
    expect(compared).toBeGreaterThan(N * 0.95);
    console.log(
      `differential: compared ${compared}, skipped ${skipped}, with [bad opt] ${withBad}, with TOA ${withToa}`,
    );
  });
});
