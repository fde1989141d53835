/**
 * /proc/net/toa_stats and /proc/net/vtoa_stats, as toa_stats_show() prints them (alibaba/LVS
 * kernel/net/toa/toa.c and its forks; vtoa: Anolis cloud-kernel net/vtoa/).
 * One table of counter sets; two layouts (classic, TTGW 3.0.1). Parsing never throws.
 */
import type {
  CounterSetId,
  CounterValue,
  Implementation,
  NormalizedCounters,
  StatsFile,
  StatsLayout,
} from './types-host.js';

export interface CounterSet {
  id: Exclude<CounterSetId, 'unknown'>;
  label: string;
  implementations: Implementation[];
  /** in file order */
  counters: string[];
  /** names in `counters` that a build may leave out */
  optional: string[];
}

const CLASSIC6 = [
  'syn_recv_sock_toa',
  'syn_recv_sock_no_toa',
  'getname_toa_ok',
  'getname_toa_mismatch',
  'getname_toa_bypass',
  'getname_toa_empty',
];

/** The ONE table of counter sets: one per stats layout a module family prints. */
export const COUNTER_SETS: CounterSet[] = [
  {
    id: 'classic',
    label: 'Alibaba LVS RS / Huawei / UCloud / Alibaba CDN kmod / TencentOS <=2021',
    implementations: ['alibaba-lvs', 'huawei', 'ucloud', 'tcp_toa', 'tencentos'],
    counters: CLASSIC6,
    optional: [],
  },
  {
    id: 'dpvs',
    label: 'DPVS kmod/toa / huaweicloud elb-toa / Huawei fork 2.2.0 / Tencent tgw_toa',
    implementations: ['dpvs', 'huawei-elb', 'tgw_toa'],
    counters: [...CLASSIC6, 'ip6_address_alloc', 'ip6_address_free'],
    optional: [],
  },
  {
    id: 'alikernel',
    label: 'AliKernel in-tree toa (hookers); 6 counters when built without IPv6',
    implementations: ['alikernel'],
    counters: [
      'syn_recv_sock_toa',
      'syn_recv_sock_no_toa',
      'getname_toa_ok_v4',
      'getname_toa_ok_v6',
      'getname_toa_ok_mapped',
      'getname_toa_mismatch',
      'getname_toa_bypass',
      'getname_toa_empty',
    ],
    // ymaxgit/aliker net/toa/toa.h: the _v6 and _mapped counters are under CONFIG_IPV6
    optional: ['getname_toa_ok_v6', 'getname_toa_ok_mapped'],
  },
  {
    id: 'tencentos-vtoa',
    label: 'TencentOS in-tree toa 2022 (vtoa parameter)',
    implementations: ['tencentos'],
    counters: [
      ...CLASSIC6,
      'vtoa_get',
      'vtoa_attr_err',
      'vtoa_lookup_err',
      'vtoa_netlink_err',
      'getname_vtoa_ipv4_err',
      'getname_vtoa_ipv6_err',
    ],
    optional: [],
  },
  {
    id: 'vtoa',
    label: 'Alibaba Cloud Linux / Anolis vtoa',
    implementations: ['vtoa'],
    counters: [
      'syn_recv_sock_toa',
      'syn_recv_sock_no_toa',
      'getname_toa_ok_v4',
      'getname_v6vtoa_ok',
      'getname_toa_ok_v6',
      'getname_toa_ok_mapped',
      'getname_toa_mismatch',
      'getname_toa_bypass',
      'getname_toa_empty',
    ],
    optional: ['getname_toa_ok_v6', 'getname_toa_ok_mapped'],
  },
  {
    id: 'ttgw',
    label: 'TTGW-style toa 3.0.1',
    implementations: ['ttgw'],
    counters: [
      'V4_ESTB',
      'IPV4_OPT',
      'TCPV4_OPT',
      'V4_SAVED',
      'V6_ESTB',
      'IPV6_OPT',
      'V6_SAVED',
      'GET_V4',
      'GET_V4_SUCC',
      'GET_V6',
      'GET_V6_SUCC',
    ],
    optional: [],
  },
];

const KNOWN_NAMES = new Set(COUNTER_SETS.flatMap((s) => s.counters));

export function isKnownCounter(name: string): boolean {
  return KNOWN_NAMES.has(name);
}

/** Pick the counter set that explains the names best ('unknown' if none overlaps). */
export function matchCounterSet(names: string[], layout: StatsLayout): CounterSetId {
  if (layout === 'ttgw') return 'ttgw';
  const present = new Set(names);
  let best: CounterSetId = 'unknown';
  let bestScore = 0;
  for (const set of COUNTER_SETS) {
    if (set.id === 'ttgw') continue;
    const inSet = names.filter((n) => set.counters.includes(n)).length;
    if (inSet === 0) continue;
    const required = set.counters.filter((c) => !set.optional.includes(c));
    const missing = required.filter((c) => !present.has(c)).length;
    // exact matches first, then most names explained, then fewest missing
    const exact = missing === 0 && inSet === names.filter((n) => KNOWN_NAMES.has(n)).length;
    const score = (exact ? 1000 : 0) + inSet * 10 - missing;
    if (score > bestScore) {
      bestScore = score;
      best = set.id;
    }
  }
  return best;
}

const UINT = /^\d+$/;
/** a decimal this long may be past Number.MAX_SAFE_INTEGER (9007199254740991, 16 digits) */
const MAYBE_UNSAFE = 16;
/** longest stats line read (a 4096-CPU row is about 90 KiB); longer lines are reported and skipped */
export const MAX_STATS_LINE = 128 * 1024;
/** characters of a line kept for display (firstLines, problems) */
const SHOW = 200;

/** Exact per-CPU and total values as decimal strings, when any token may be past 2^53. */
function exactOf(tokens: string[], labels: string[]): CounterValue['exact'] | undefined {
  if (!tokens.some((t) => t.length >= MAYBE_UNSAFE)) return undefined;
  let total = 0n;
  const perCpu: Record<string, string> = {};
  tokens.forEach((t, i) => {
    const v = BigInt(t);
    total += v;
    const label = labels[i] ?? `#${i}`;
    perCpu[label] = String(BigInt(perCpu[label] ?? '0') + v);
  });
  return { total: String(total), perCpu };
}

/** Exact a - b for two counters (BigInt when either is past 2^53), as a number (exact below 2^53). */
export function counterDelta(a: CounterValue, b: CounterValue): number {
  if (!a.exact && !b.exact) return a.total - b.total;
  return Number(BigInt(a.exact?.total ?? a.total) - BigInt(b.exact?.total ?? b.total));
}

/** Exact a - b for one CPU column. */
export function cpuDelta(a: CounterValue, b: CounterValue, cpu: string): number {
  const x = a.exact?.perCpu[cpu] ?? a.perCpu[cpu];
  const y = b.exact?.perCpu[cpu] ?? b.perCpu[cpu] ?? 0;
  if (x === undefined) return 0;
  if (!a.exact && !b.exact) return (x as number) - (y as number);
  return Number(BigInt(x) - BigInt(y));
}

/** The exact printed value of a counter total. */
export function counterText(c: CounterValue): string {
  return c.exact?.total ?? String(c.total);
}

function toNumber(tok: string): number | null {
  if (!UINT.test(tok)) return null;
  const n = Number(tok);
  return Number.isFinite(n) ? n : null;
}

function emptyFile(path: string, layout: StatsLayout, lines: string[]): StatsFile {
  return {
    path,
    layout,
    cpus: [],
    counters: [],
    totals: {},
    counterSet: 'unknown',
    unknownCounters: [],
    problems: [],
    firstLines: lines.slice(0, 8).map((l) => (l.length > SHOW ? `${l.slice(0, SHOW)}…` : l)),
  };
}

function finish(file: StatsFile): StatsFile {
  for (const c of file.counters) file.totals[c.name] = c.total;
  file.counterSet = matchCounterSet(
    file.counters.map((c) => c.name),
    file.layout,
  );
  file.unknownCounters = file.counters.filter((c) => !c.known).map((c) => c.name);
  return file;
}

const CLASSIC_HEADER = /^\s*(CPU\d+\s*)+$/;
const CLASSIC_ROW = /^\s*([A-Za-z_][\w.-]*)\s*:(.*)$/;
const TTGW_VERSION = /^\s*toa version\s*:\s*(\S*)/i;
const TTGW_HEADER = /^\s*CPU\s+([A-Za-z_][\w]*(\s+[A-Za-z_][\w]*)*)\s*$/;
const TTGW_ROW = /^\s*(\d+)\s*:(.*)$/;
const TTGW_TOTAL = /^\s*total\s*:(.*)$/;
const TTGW_MAP = /^\s*toa_map\s*:(.*)$/;

function detectLayout(lines: string[]): StatsLayout {
  if (lines.every((l) => l.trim() === '')) return 'empty';
  if (lines.some((l) => CLASSIC_HEADER.test(l))) return 'classic';
  if (lines.some((l) => TTGW_VERSION.test(l) || TTGW_MAP.test(l))) return 'ttgw';
  const ttgwHeader = lines.some((l) => TTGW_HEADER.test(l) && !CLASSIC_HEADER.test(l));
  if (ttgwHeader && lines.some((l) => TTGW_ROW.test(l) || TTGW_TOTAL.test(l))) return 'ttgw';
  const classicRow = lines.some((l) => {
    const m = CLASSIC_ROW.exec(l);
    if (!m) return false;
    const toks = m[2]!.trim().split(/\s+/).filter(Boolean);
    return toks.length > 0 && toks.every((t) => UINT.test(t));
  });
  if (classicRow || lines.some((l) => CLASSIC_HEADER.test(l))) return 'classic';
  return 'unrecognised';
}

function parseClassic(path: string, lines: string[]): StatsFile {
  const file = emptyFile(path, 'classic', lines);
  file.firstLines = file.firstLines.slice(0, 3);
  let headerSeen = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    if (CLASSIC_HEADER.test(line)) {
      if (headerSeen) {
        file.problems.push(`line ${i + 1}: second CPU header ignored`);
        continue;
      }
      headerSeen = true;
      file.cpus = line
        .trim()
        .split(/\s+/)
        .map((t) => t.slice(3));
      continue;
    }
    const m = CLASSIC_ROW.exec(line);
    if (!m) {
      file.problems.push(`line ${i + 1}: not a counter row: ${JSON.stringify(line.slice(0, 80))}`);
      continue;
    }
    const name = m[1]!;
    const toks = m[2]!.trim().split(/\s+/).filter(Boolean);
    const values: number[] = [];
    let bad = false;
    for (const t of toks) {
      const v = toNumber(t);
      if (v === null) bad = true;
      else values.push(v);
    }
    if (bad) {
      file.problems.push(`line ${i + 1}: counter ${name} has a non-numeric value`);
      continue;
    }
    if (!headerSeen && file.cpus.length < values.length) {
      // no header (yet): label columns by position
      for (let c = file.cpus.length; c < values.length; c++) file.cpus.push(`#${c}`);
    }
    if (values.length !== file.cpus.length && headerSeen) {
      file.problems.push(
        `line ${i + 1}: counter ${name} has ${values.length} values for ${file.cpus.length} CPU columns`,
      );
    }
    const perCpu: Record<string, number> = {};
    let total = 0;
    values.forEach((v, idx) => {
      const label = file.cpus[idx] ?? `#${idx}`;
      perCpu[label] = (perCpu[label] ?? 0) + v;
      total += v;
    });
    if (file.counters.some((c) => c.name === name)) {
      file.problems.push(`line ${i + 1}: counter ${name} repeated; first kept`);
      continue;
    }
    const exact = exactOf(toks, file.cpus);
    file.counters.push({ name, total, perCpu, known: KNOWN_NAMES.has(name), ...(exact ? { exact } : {}) });
  }
  if (!headerSeen && file.counters.length > 0) file.problems.push('no CPU header line');
  return finish(file);
}

function parseTtgw(path: string, lines: string[]): StatsFile {
  const file = emptyFile(path, 'ttgw', lines);
  file.firstLines = file.firstLines.slice(0, 3);
  let columns: string[] = [];
  const rows: { cpu: string; values: number[]; tokens: string[] }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    let m = TTGW_VERSION.exec(line);
    if (m) {
      file.version = m[1] || undefined;
      continue;
    }
    m = TTGW_MAP.exec(line);
    if (m) {
      const map: Record<string, number> = {};
      for (const pair of m[1]!.matchAll(/([A-Za-z_]\w*)\s*:\s*(\d+)/g)) map[pair[1]!] = Number(pair[2]);
      file.toaMap = map;
      continue;
    }
    m = TTGW_TOTAL.exec(line);
    if (m) {
      const toks = m[1]!.trim().split(/\s+/).filter(Boolean);
      const totals: Record<string, number> = {};
      toks.forEach((t, idx) => {
        const v = toNumber(t);
        if (v !== null) totals[columns[idx] ?? `#${idx}`] = v;
      });
      file.fileTotals = totals;
      continue;
    }
    if (TTGW_HEADER.test(line) && !CLASSIC_HEADER.test(line)) {
      columns = line.trim().split(/\s+/).slice(1);
      continue;
    }
    m = TTGW_ROW.exec(line);
    if (m) {
      const toks = m[2]!.trim().split(/\s+/).filter(Boolean);
      const values = toks.map(toNumber);
      if (values.some((v) => v === null)) {
        file.problems.push(`line ${i + 1}: CPU ${m[1]} row has a non-numeric value`);
        continue;
      }
      rows.push({ cpu: String(Number(m[1])), values: values as number[], tokens: toks });
      continue;
    }
    file.problems.push(`line ${i + 1}: not understood: ${JSON.stringify(line.slice(0, 80))}`);
  }
  if (columns.length === 0 && rows.length > 0) {
    file.problems.push('no column header line');
    const width = Math.max(...rows.map((r) => r.values.length));
    columns = Array.from({ length: width }, (_, k) => `#${k}`);
  }
  file.cpus = rows.map((r) => r.cpu);
  columns.forEach((name, col) => {
    const perCpu: Record<string, number> = {};
    let total = 0;
    const toks: string[] = [];
    const labels: string[] = [];
    for (const r of rows) {
      const v = r.values[col];
      if (v === undefined) continue;
      perCpu[r.cpu] = v;
      total += v;
      toks.push(r.tokens[col]!);
      labels.push(r.cpu);
    }
    const exact = exactOf(toks, labels);
    file.counters.push({ name, total, perCpu, known: KNOWN_NAMES.has(name), ...(exact ? { exact } : {}) });
  });
  for (const r of rows)
    if (r.values.length !== columns.length)
      file.problems.push(`CPU ${r.cpu}: ${r.values.length} values for ${columns.length} columns`);
  if (file.fileTotals) {
    for (const c of file.counters) {
      const printed = file.fileTotals[c.name];
      if (printed !== undefined && printed !== c.total)
        file.problems.push(`total row says ${c.name}=${printed}, CPU rows sum to ${c.total}`);
    }
  }
  return finish(file);
}

/** Parse a toa_stats / vtoa_stats text. Never throws. */
export function parseStatsFile(text: string, path = '/proc/net/toa_stats'): StatsFile {
  const all = String(text).split(/\r?\n/);
  if (all.length > 0 && all[all.length - 1] === '') all.pop();
  // a line longer than any real stats row is not parsed (its regexes and splits would be costly)
  const long: number[] = [];
  const lines = all.map((l, i) => {
    if (l.length <= MAX_STATS_LINE) return l;
    long.push(i + 1);
    return '';
  });
  const f = parseStatsLines(lines, path);
  for (const n of long.slice(0, 5))
    f.problems.push(`line ${n}: longer than ${MAX_STATS_LINE} characters: not read`);
  if (long.length)
    f.firstLines = f.firstLines.map((l, i) => (long.includes(i + 1) ? '(line too long: not shown)' : l));
  return f;
}

function parseStatsLines(lines: string[], path: string): StatsFile {
  const layout = detectLayout(lines);
  if (layout === 'classic') return parseClassic(path, lines);
  if (layout === 'ttgw') return parseTtgw(path, lines);
  const f = emptyFile(path, layout, lines);
  if (layout === 'unrecognised') f.problems.push('matches no known toa_stats layout');
  return f;
}

function pick(t: Record<string, number>, ...names: string[]): number | null {
  let found = false;
  let sum = 0;
  for (const n of names) {
    const v = t[n];
    if (v !== undefined) {
      found = true;
      sum += v;
    }
  }
  return found ? sum : null;
}

export const NULL_COUNTERS: NormalizedCounters = {
  synRecvToa: null,
  synRecvNoToa: null,
  getnameOk: null,
  getnameMismatch: null,
  getnameBypass: null,
  getnameEmpty: null,
  ip6Alloc: null,
  ip6Free: null,
};

/** Map a file's totals (or deltas) onto one vocabulary. */
export function normalizeTotals(totals: Record<string, number>, layout: StatsLayout): NormalizedCounters {
  if (layout === 'ttgw') {
    const saved = pick(totals, 'V4_SAVED', 'V6_SAVED');
    const estb = pick(totals, 'V4_ESTB', 'V6_ESTB');
    const get = pick(totals, 'GET_V4', 'GET_V6');
    const ok = pick(totals, 'GET_V4_SUCC', 'GET_V6_SUCC');
    return {
      ...NULL_COUNTERS,
      synRecvToa: saved,
      synRecvNoToa: estb !== null && saved !== null ? Math.max(0, estb - saved) : null,
      getnameOk: ok,
      getnameEmpty: get !== null && ok !== null ? Math.max(0, get - ok) : null,
    };
  }
  return {
    synRecvToa: pick(totals, 'syn_recv_sock_toa'),
    synRecvNoToa: pick(totals, 'syn_recv_sock_no_toa'),
    getnameOk: pick(
      totals,
      'getname_toa_ok',
      'getname_toa_ok_v4',
      'getname_toa_ok_v6',
      'getname_toa_ok_mapped',
      'getname_v6vtoa_ok',
    ),
    getnameMismatch: pick(totals, 'getname_toa_mismatch'),
    getnameBypass: pick(totals, 'getname_toa_bypass'),
    getnameEmpty: pick(totals, 'getname_toa_empty'),
    ip6Alloc: pick(totals, 'ip6_address_alloc'),
    ip6Free: pick(totals, 'ip6_address_free'),
  };
}

/** Sum normalized counters over several files (null stays null only when null everywhere). */
export function sumNormalized(list: NormalizedCounters[]): NormalizedCounters {
  const out: NormalizedCounters = { ...NULL_COUNTERS };
  for (const n of list) {
    for (const k of Object.keys(out) as (keyof NormalizedCounters)[]) {
      const v = n[k];
      if (v !== null) out[k] = (out[k] ?? 0) + v;
    }
  }
  return out;
}

export function normalizeStats(files: StatsFile[]): NormalizedCounters {
  return sumNormalized(
    files
      .filter((f) => f.layout === 'classic' || f.layout === 'ttgw')
      .map((f) => normalizeTotals(f.totals, f.layout)),
  );
}

export function counterSetLabel(id: CounterSetId): string {
  return COUNTER_SETS.find((s) => s.id === id)?.label ?? 'unknown counter set';
}

export function counterSetImplementations(id: CounterSetId): Implementation[] {
  return COUNTER_SETS.find((s) => s.id === id)?.implementations ?? [];
}

export type { CounterValue };
