import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { COUNTER_SETS, matchCounterSet, normalizeTotals, parseStatsFile } from '../../src/host/stats.js';

/** Exactly the format toa_stats_show() prints (alibaba/LVS kernel/net/toa/toa.c): 34 spaces + `CPU<i>` + 7 spaces; `%-25s:` then `%10lu ` per CPU. */
function classic(cpus: number[], rows: [string, number[]][]): string {
  let out = `${' '.repeat(34)}${cpus.map((c) => `CPU${c}       `).join('')}\n`;
  for (const [name, vals] of rows)
    out += `${name.padEnd(25)}:${vals.map((v) => `${String(v).padStart(10)} `).join('')}\n`;
  return out;
}

const REFERENCE_SAMPLE =
  '                                  CPU0       CPU1       \n' +
  'syn_recv_sock_toa        :      1520       1498 \n' +
  'syn_recv_sock_no_toa     :         3          0 \n' +
  'getname_toa_ok           :      1520       1497 \n' +
  'getname_toa_mismatch     :         0          0 \n' +
  'getname_toa_bypass       :         0          0 \n' +
  'getname_toa_empty        :      4411       4379 \n' +
  'ip6_address_alloc        :         0          0 \n' +
  'ip6_address_free         :         0          0 \n';

const TTGW_SAMPLE =
  'toa version: 3.0.1\n' +
  'CPU      V4_ESTB   IPV4_OPT  TCPV4_OPT  V4_SAVED  V6_ESTB  IPV6_OPT  V6_SAVED  GET_V4  GET_V4_SUCC GET_V6  GET_V6_SUCC\n' +
  '  0:        12         0        12        12         0         0         0        30        24         0         0  \n' +
  '  1:         9         0         9         9         0         0         0        18        18         0         0  \n' +
  'total:      21         0        21        21         0         0         0        48        42         0         0  \n' +
  'toa_map: total_num: 21 buckets: 4096 avg_num: 0 max_num: 2 min_num: 0\n';

describe('classic toa_stats layout (5.1)', () => {
  it('the generator reproduces the reference sample byte for byte', () => {
    const rows: [string, number[]][] = [
      ['syn_recv_sock_toa', [1520, 1498]],
      ['syn_recv_sock_no_toa', [3, 0]],
      ['getname_toa_ok', [1520, 1497]],
      ['getname_toa_mismatch', [0, 0]],
      ['getname_toa_bypass', [0, 0]],
      ['getname_toa_empty', [4411, 4379]],
      ['ip6_address_alloc', [0, 0]],
      ['ip6_address_free', [0, 0]],
    ];
    expect(classic([0, 1], rows)).toBe(REFERENCE_SAMPLE);
  });

  it('parses the reference sample: sums per counter, keeps per-CPU values, DPVS counter set', () => {
    const f = parseStatsFile(REFERENCE_SAMPLE);
    expect(f.layout).toBe('classic');
    expect(f.cpus).toEqual(['0', '1']);
    expect(f.counters.map((c) => c.name)).toHaveLength(8);
    expect(f.totals.syn_recv_sock_toa).toBe(3018);
    expect(f.totals.getname_toa_ok).toBe(3017);
    expect(f.totals.getname_toa_empty).toBe(8790);
    expect(f.counters[0]!.perCpu).toEqual({ '0': 1520, '1': 1498 });
    expect(f.counterSet).toBe('dpvs');
    expect(f.problems).toEqual([]);
    expect(f.unknownCounters).toEqual([]);
  });

  it('sparse CPU numbers label the columns by the header, not by position', () => {
    const f = parseStatsFile(classic([0, 2, 5], [['syn_recv_sock_toa', [1, 2, 3]]]));
    expect(f.cpus).toEqual(['0', '2', '5']);
    expect(f.counters[0]!.perCpu).toEqual({ '0': 1, '2': 2, '5': 3 });
    expect(f.totals.syn_recv_sock_toa).toBe(6);
  });

  it('wide CPU numbers (CPU10+) and many CPUs', () => {
    const cpus = Array.from({ length: 64 }, (_, i) => i);
    const f = parseStatsFile(classic(cpus, [['syn_recv_sock_toa', cpus.map(() => 2)]]));
    expect(f.cpus).toHaveLength(64);
    expect(f.cpus[63]).toBe('63');
    expect(f.totals.syn_recv_sock_toa).toBe(128);
  });

  for (const set of COUNTER_SETS.filter((s) => s.id !== 'ttgw')) {
    it(`recognises the ${set.id} counter set (${set.counters.length} counters)`, () => {
      const f = parseStatsFile(
        classic(
          [0, 1],
          set.counters.map((c, i) => [c, [i, i + 1]]),
        ),
      );
      expect(f.counterSet).toBe(set.id);
      expect(f.unknownCounters).toEqual([]);
      expect(f.counters.map((c) => c.name)).toEqual(set.counters);
    });
  }

  it('vtoa without its IPv6-only counters is still the vtoa set', () => {
    const names = COUNTER_SETS.find((s) => s.id === 'vtoa')!.counters.filter(
      (c) => c !== 'getname_toa_ok_v6' && c !== 'getname_toa_ok_mapped',
    );
    expect(matchCounterSet(names, 'classic')).toBe('vtoa');
  });

  it('keeps unknown counters (not dropped) and still matches the closest set', () => {
    const f = parseStatsFile(
      classic(
        [0],
        [
          ['syn_recv_sock_toa', [5]],
          ['syn_recv_sock_no_toa', [1]],
          ['getname_toa_ok', [5]],
          ['getname_toa_mismatch', [0]],
          ['getname_toa_bypass', [0]],
          ['getname_toa_empty', [9]],
          ['getname_toa_future_thing', [7]],
        ],
      ),
    );
    expect(f.unknownCounters).toEqual(['getname_toa_future_thing']);
    expect(f.totals.getname_toa_future_thing).toBe(7);
    expect(f.counters.find((c) => c.name === 'getname_toa_future_thing')!.known).toBe(false);
    expect(f.counterSet).toBe('classic');
  });

  it('reports rows whose value count differs from the header, and non-numeric rows', () => {
    const text = `${classic([0, 1], [['syn_recv_sock_toa', [1, 2]]])}syn_recv_sock_no_toa     :         3 \ngetname_toa_ok           :      abc        1 \n`;
    const f = parseStatsFile(text);
    expect(f.totals.syn_recv_sock_no_toa).toBe(3);
    expect(f.problems.some((p) => p.includes('1 values for 2 CPU columns'))).toBe(true);
    expect(f.problems.some((p) => p.includes('non-numeric'))).toBe(true);
    expect(f.totals.getname_toa_ok).toBeUndefined();
  });

  it('CRLF line endings parse the same', () => {
    const f = parseStatsFile(REFERENCE_SAMPLE.replace(/\n/g, '\r\n'));
    expect(f.totals.syn_recv_sock_toa).toBe(3018);
    expect(f.problems).toEqual([]);
  });

  it('a file without the header still yields counters (columns labelled by position)', () => {
    const f = parseStatsFile(REFERENCE_SAMPLE.split('\n').slice(1).join('\n'));
    expect(f.layout).toBe('classic');
    expect(f.cpus).toEqual(['#0', '#1']);
    expect(f.totals.syn_recv_sock_toa).toBe(3018);
    expect(f.problems).toContain('no CPU header line');
  });
});

describe('TTGW toa_stats layout (5.3)', () => {
  it('parses version, per-CPU rows, the total row and the toa_map line', () => {
    const f = parseStatsFile(TTGW_SAMPLE);
    expect(f.layout).toBe('ttgw');
    expect(f.counterSet).toBe('ttgw');
    expect(f.version).toBe('3.0.1');
    expect(f.cpus).toEqual(['0', '1']);
    expect(f.counters.map((c) => c.name)).toEqual(COUNTER_SETS.find((s) => s.id === 'ttgw')!.counters);
    expect(f.totals.V4_ESTB).toBe(21);
    expect(f.totals.GET_V4).toBe(48);
    expect(f.totals.GET_V4_SUCC).toBe(42);
    expect(f.counters.find((c) => c.name === 'GET_V4')!.perCpu).toEqual({ '0': 30, '1': 18 });
    expect(f.fileTotals?.GET_V4_SUCC).toBe(42);
    expect(f.toaMap).toEqual({ total_num: 21, buckets: 4096, avg_num: 0, max_num: 2, min_num: 0 });
    expect(f.problems).toEqual([]);
  });

  it('flags a total row that disagrees with the CPU rows', () => {
    const f = parseStatsFile(TTGW_SAMPLE.replace('total:      21', 'total:      22'));
    expect(f.problems.some((p) => p.includes('V4_ESTB=22'))).toBe(true);
  });

  it('normalizes TTGW counters onto the classic vocabulary', () => {
    const f = parseStatsFile(TTGW_SAMPLE);
    const n = normalizeTotals(f.totals, f.layout);
    expect(n.synRecvToa).toBe(21);
    expect(n.synRecvNoToa).toBe(0);
    expect(n.getnameOk).toBe(42);
    expect(n.getnameEmpty).toBe(6);
    expect(n.getnameBypass).toBeNull();
  });
});

describe('files that match no layout', () => {
  it('reports an unrecognised file with its first lines', () => {
    const f = parseStatsFile('hello world\nthis is not toa_stats\n\nmore\n');
    expect(f.layout).toBe('unrecognised');
    expect(f.firstLines).toEqual(['hello world', 'this is not toa_stats', '', 'more']);
    expect(f.problems[0]).toMatch(/no known/);
    expect(f.counters).toEqual([]);
  });
  it('an empty file is "empty"', () => {
    expect(parseStatsFile('').layout).toBe('empty');
    expect(parseStatsFile('\n\n').layout).toBe('empty');
  });
});

describe('classic normalization', () => {
  it('sums the AliKernel/vtoa getname_ok variants', () => {
    const n = normalizeTotals(
      { getname_toa_ok_v4: 3, getname_toa_ok_v6: 2, getname_toa_ok_mapped: 1, getname_v6vtoa_ok: 4 },
      'classic',
    );
    expect(n.getnameOk).toBe(10);
    expect(n.synRecvToa).toBeNull();
  });
});

describe('property: arbitrary text never throws', () => {
  const lineish = fc.array(
    fc.oneof(
      fc.string(),
      fc.constantFrom(
        'CPU0 CPU1',
        'toa version: 3.0.1',
        'total: 1 2',
        '  0: 1 2',
        'toa_map: a: 1',
        'x : 1 2 ',
      ),
      fc
        .tuple(fc.string({ maxLength: 30 }), fc.array(fc.nat(), { maxLength: 5 }))
        .map(([n, v]) => `${n.padEnd(25)}:${v.map((x) => `${String(x).padStart(10)} `).join('')}`),
    ),
    { maxLength: 20 },
  );
  it('parseStatsFile(any text)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 2000 }),
          lineish.map((l) => l.join('\n')),
        ),
        (text) => {
          const f = parseStatsFile(text);
          expect(['classic', 'ttgw', 'empty', 'unrecognised']).toContain(f.layout);
          for (const c of f.counters) expect(Number.isFinite(c.total)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });
  it('round trip: generated classic files parse back to the same totals', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.nat({ max: 255 }), { minLength: 1, maxLength: 12 }),
        fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9_]{0,23}$/), { minLength: 1, maxLength: 10 }),
        fc.nat({ max: 1e9 }),
        (cpuSet, names, seed) => {
          const cpus = [...cpuSet].sort((a, b) => a - b);
          const rows: [string, number[]][] = names.map((n, i) => [
            n,
            cpus.map((_, j) => (seed + i * 7 + j) % 100000),
          ]);
          const f = parseStatsFile(classic(cpus, rows));
          expect(f.layout).toBe('classic');
          expect(f.cpus).toEqual(cpus.map(String));
          for (const [n, vals] of rows) expect(f.totals[n]).toBe(vals.reduce((a, b) => a + b, 0));
          expect(f.problems).toEqual([]);
        },
      ),
      { numRuns: 200 },
    );
  });
});
