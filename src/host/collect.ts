/** collectHost: read everything the host can tell about TOA below a root directory. */
import { endianness as osEndianness, hostname as osHostname } from 'node:os';
import { resolve } from 'node:path';
import { containerHints } from './container.js';
import { dmesgInfo, type ExecFn, readKernelLog } from './dmesg.js';
import {
  existsUnder,
  isPermissionError,
  type ReadResult,
  readErrorText,
  readUnder,
  type ScanResult,
  scanUnder,
  sizeUnder,
} from './fsroot.js';
import { parseKernel } from './kernel.js';
import { type Endianness, listenerInfoOf, ProcNetTcpScanner, parseProcNetTcp } from './listeners.js';
import { moduleStates, parseProcModules, readEbpfToa, readSysModule, TOA_MODULES } from './modules.js';
import { parseHookers, parseSnmpTcp, parseToaTable } from './proc-misc.js';
import { parseStatsFile } from './stats.js';
import type { HostSnapshot, StatsFile, SysModuleInfo } from './types-host.js';

export interface CollectOptions {
  /** read the kernel log from this file (a path on the real filesystem, not under root) */
  dmesgFile?: string;
  /** false: do not read the kernel log at all (interval samples) */
  dmesg?: boolean;
  /** read /proc/net/toa_table even though it is costly */
  toaTable?: boolean;
  /** how to run dmesg/journalctl (tests) */
  exec?: ExecFn;
  /** dmesg/journalctl timeout (ms) */
  dmesgTimeoutMs?: number;
  /** clock (tests) */
  now?: () => Date;
  /** byte order of /proc/net/tcp* addresses; default: meta.json's, else this machine's */
  endianness?: Endianness;
  /** take the collection time from meta.json when present (default true; false for repeated samples) */
  useMetaTime?: boolean;
  /** false: do not read /proc/net/tcp and tcp6 (listeners come out empty; the caller keeps an older reading) */
  listeners?: boolean;
  /**
   * false: keep no file contents in snapshot.raw (it is only for writing a snapshot) and
   * scan /proc/net/tcp* a read at a time instead of holding their text (megabytes on a busy host).
   * For the exporter, which looks every few seconds for weeks.
   */
  keepRaw?: boolean;
}

export const SNAPSHOT_META = 'meta.json';
export const SNAPSHOT_DMESG = 'dmesg.txt';
/** toa_table is read without --toa-table only when it is a small regular file (a snapshot copy) */
const TOA_TABLE_SMALL = 64 * 1024;
const MAX_DMESG_KEEP = 8 * 1024 * 1024;
/** /proc/net/tcp* lists listeners first; busy servers have ~150 bytes per socket */
const TCP_MAX = 16 * 1024 * 1024;
/** toa_stats is a few KiB even with 256 CPUs; a bigger one is not a stats file */
const STATS_MAX = 1024 * 1024;

export const STATS_PATHS = ['/proc/net/toa_stats', '/proc/net/vtoa_stats'];
export const SYSCTL_PATHS = [
  '/proc/sys/net/ca/tcpopt_addr',
  '/proc/sys/net/ipv4/slb_vtoa/v6vtoa_info_mode',
  '/proc/sys/kernel/dmesg_restrict',
  // the Alibaba CDN eBPF kinds, when the map is pinned there (bpffs prints `0: 28` lines)
  '/sys/fs/bpf/toa/toa_opcode_map',
];

export interface SnapshotMeta {
  time?: string;
  hostname?: string | null;
  endianness?: Endianness;
  dmesgSource?: string | null;
  dmesgError?: string | null;
  tool?: string;
  notes?: string[];
}

function rel(abs: string): string {
  return abs.replace(/^\/+/, '');
}

export async function readMeta(root: string): Promise<SnapshotMeta | null> {
  const r = await readUnder(root, `/${SNAPSHOT_META}`, 1024 * 1024);
  if (r.text === null) return null;
  try {
    const v = JSON.parse(r.text) as unknown;
    return v && typeof v === 'object' ? (v as SnapshotMeta) : null;
  } catch {
    return null;
  }
}

export async function collectHost(root = '/', opts: CollectOptions = {}): Promise<HostSnapshot> {
  const absRoot = resolve(root);
  const live = absRoot === '/';
  const raw: Record<string, string> = {};
  const notes: string[] = [];
  const meta = live ? null : await readMeta(absRoot);

  /** host paths that exist but could not be read for lack of permission */
  const unreadable: string[] = [];
  const keepRaw = opts.keepRaw !== false;
  const noteRead = (abs: string, r: ReadResult | ScanResult, max: number | undefined) => {
    if (r.error && r.error !== 'ENOENT' && r.error !== 'ENOTDIR') {
      notes.push(`${abs}: ${readErrorText(r.error)}`);
      if (isPermissionError(r.error)) unreadable.push(abs);
    }
    if (r.truncated) notes.push(`${abs}: truncated at ${max ?? '4194304'} bytes`);
  };
  const read = async (abs: string, max?: number): Promise<string | null> => {
    const r = await readUnder(absRoot, abs, max);
    if (r.text !== null && keepRaw) raw[rel(abs)] = r.text;
    noteRead(abs, r, max);
    return r.text;
  };
  /** /proc/net/tcp*: the whole text (kept for a snapshot), or scanned a read at a time */
  const readTcp = async (abs: string) => {
    if (keepRaw) {
      const t = await read(abs, TCP_MAX);
      return t !== null ? parseProcNetTcp(t, endian) : null;
    }
    const scanner = new ProcNetTcpScanner(endian);
    const r = await scanUnder(absRoot, abs, TCP_MAX, (chunk) => scanner.push(chunk));
    noteRead(abs, r, TCP_MAX);
    return r.error === null ? scanner.end() : null;
  };

  // ---- stats files
  const stats: StatsFile[] = [];
  for (const p of STATS_PATHS) {
    const t = await read(p, STATS_MAX);
    if (t !== null) stats.push(parseStatsFile(t, p));
  }

  // ---- toa_table: costly on a live host
  let toaTable = null;
  const tablePath = '/proc/net/toa_table';
  const tableSize = await sizeUnder(absRoot, tablePath);
  if (tableSize !== null) {
    const small = tableSize > 0 && tableSize <= TOA_TABLE_SMALL;
    if (opts.toaTable || small) {
      const r = await readUnder(absRoot, tablePath, 1024 * 1024);
      if (r.text !== null && keepRaw) raw[rel(tablePath)] = r.text;
      toaTable = parseToaTable(r.text, tablePath, r.truncated);
    } else {
      toaTable = parseToaTable(null, tablePath);
    }
  }

  const hookersText = await read('/proc/hookers');
  const hookers = hookersText !== null ? parseHookers(hookersText) : null;

  const modulesText = await read('/proc/modules');
  const procModules = modulesText !== null ? parseProcModules(modulesText) : null;
  if (modulesText === null) notes.push('/proc/modules could not be read: module state unknown');

  const sysModules: SysModuleInfo[] = [];
  for (const { name } of TOA_MODULES) {
    const sm = await readSysModule(absRoot, name);
    if (!sm) continue;
    for (const f of sm.unreadable ?? []) {
      unreadable.push(f);
      notes.push(`${f}: ${readErrorText('EACCES')}`);
    }
    sysModules.push(sm);
    const base = `sys/module/${name}`;
    raw[`${base}/.present`] = '';
    for (const [k, v] of [
      ['initstate', sm.initstate],
      ['version', sm.version],
      ['srcversion', sm.srcversion],
      ['taint', sm.taint],
      ['refcnt', sm.refcnt === null ? null : String(sm.refcnt)],
    ] as const)
      if (v !== null) raw[`${base}/${k}`] = `${v}\n`;
    for (const [k, v] of Object.entries(sm.parameters)) raw[`${base}/parameters/${k}`] = `${v}\n`;
  }
  const ebpf = await readEbpfToa(absRoot);
  for (const e of ebpf.entries) raw[`sys/fs/bpf/toa/${e}`] = '';
  if (ebpf.present && ebpf.entries.length === 0) raw['sys/fs/bpf/toa/.present'] = '';

  // ---- kernel
  const kernel = parseKernel(
    await read('/proc/sys/kernel/osrelease'),
    await read('/proc/version'),
    await read('/etc/os-release', 64 * 1024),
  );

  // ---- listeners
  const endian: Endianness =
    opts.endianness ?? meta?.endianness ?? (live ? (osEndianness() === 'BE' ? 'be' : 'le') : 'le');
  const bindText = await read('/proc/sys/net/ipv6/bindv6only');
  const bindv6only = bindText !== null && /^\s*\d+\s*$/.test(bindText) ? Number(bindText) : null;
  const notesBefore = notes.length;
  // (listeners: false skips /proc/net/tcp*, up to 2 x 16 MiB on a busy host: the exporter reads
  // them on every few looks only and keeps the last reading)
  const skipTcp = opts.listeners === false;
  const listeners = listenerInfoOf(
    skipTcp ? null : await readTcp('/proc/net/tcp'),
    skipTcp ? null : await readTcp('/proc/net/tcp6'),
    bindv6only,
    endian,
  );
  const tcpCut = (n: string) => /^\/proc\/net\/tcp6?: truncated/.test(n);
  if (notes.slice(notesBefore).some(tcpCut) || meta?.notes?.some(tcpCut)) {
    listeners.truncated = true;
    if (meta?.notes) notes.push(...meta.notes.filter(tcpCut));
  }

  // ---- container
  const dockerenv = await existsUnder(absRoot, '/.dockerenv');
  const containerenv = await existsUnder(absRoot, '/run/.containerenv');
  if (dockerenv) raw['.dockerenv'] = '';
  if (containerenv) raw['run/.containerenv'] = '';
  const container = containerHints(dockerenv, containerenv, await read('/proc/1/cgroup', 64 * 1024));

  const snmpText = await read('/proc/net/snmp', 256 * 1024);
  const snmp = snmpText !== null ? parseSnmpTcp(snmpText) : null;

  const sysctl: Record<string, string> = {};
  for (const p of SYSCTL_PATHS) {
    const t = await read(p, 4096);
    if (t !== null) sysctl[p] = t.trim();
  }

  // ---- kernel log
  let dmesg = dmesgInfo(null, null, 'not read');
  if (opts.dmesg !== false) {
    if (opts.dmesgFile) {
      const r = await readUnder('/', resolve(opts.dmesgFile), 64 * 1024 * 1024);
      if (r.text === null) notes.push(`${opts.dmesgFile}: ${readErrorText(r.error ?? 'EIO')}`);
      dmesg = dmesgInfo(r.text, r.text !== null ? opts.dmesgFile : null, r.text === null ? r.error : null);
      if (r.text !== null && keepRaw) raw[SNAPSHOT_DMESG] = tail(r.text);
    } else if (!live) {
      const r = await readUnder(absRoot, `/${SNAPSHOT_DMESG}`, 64 * 1024 * 1024);
      if (isPermissionError(r.error)) unreadable.push(`/${SNAPSHOT_DMESG}`);
      const err =
        r.text === null
          ? r.error && r.error !== 'ENOENT'
            ? `${SNAPSHOT_DMESG}: ${readErrorText(r.error)}`
            : (meta?.dmesgError ?? `no ${SNAPSHOT_DMESG} in ${absRoot}`)
          : null;
      dmesg = dmesgInfo(r.text, r.text !== null ? (meta?.dmesgSource ?? SNAPSHOT_DMESG) : null, err);
      if (r.text !== null && keepRaw) raw[SNAPSHOT_DMESG] = tail(r.text);
    } else {
      const k = await readKernelLog(opts.exec, opts.dmesgTimeoutMs);
      dmesg = dmesgInfo(k.text, k.source, k.error);
      if (k.text !== null && keepRaw) raw[SNAPSHOT_DMESG] = tail(k.text);
    }
    if (dmesg.error && dmesg.source === null) notes.push(`kernel log unavailable: ${dmesg.error}`);
  }

  // ---- identity and time
  const hostText = live ? null : await read('/proc/sys/kernel/hostname', 4096);
  const hostname = meta?.hostname ?? (live ? osHostname() : hostText?.trim() || null);
  const now = opts.now ? opts.now() : new Date();
  const metaTime = meta?.time && opts.useMetaTime !== false ? Date.parse(meta.time) : Number.NaN;
  const collectedAtMs = Number.isFinite(metaTime) ? metaTime : now.getTime();

  return {
    schema: 'toa-doctor/host-snapshot@1',
    root: absRoot,
    collectedAt: new Date(collectedAtMs).toISOString(),
    collectedAtMs,
    hostname,
    kernel,
    stats,
    toaTable,
    hookers,
    procModules,
    modules: moduleStates(procModules, sysModules),
    sysModules,
    ebpf,
    dmesg,
    listeners,
    container,
    snmp,
    sysctl,
    raw,
    notes,
    ...(unreadable.length ? { unreadable } : {}),
  };
}

function tail(text: string): string {
  return text.length > MAX_DMESG_KEEP ? text.slice(text.length - MAX_DMESG_KEEP) : text;
}

/** Does a directory look like a host snapshot (anything we would read)? */
export async function looksLikeSnapshot(dir: string): Promise<boolean> {
  for (const p of ['/proc', '/sys', `/${SNAPSHOT_DMESG}`, `/${SNAPSHOT_META}`])
    if (await existsUnder(dir, p)) return true;
  return false;
}
