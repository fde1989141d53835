/**
 * /proc/modules, /sys/module/<name>/, /sys/fs/bpf/toa: which TOA readers are loaded. Module names
 * are those the modules' sources build (the rows of src/model/modules.ts). Never throw.
 */
import { isDirUnder, isPermissionError, listUnder, readUnder, textUnder } from './fsroot.js';
import type {
  EbpfToaInfo,
  ModuleState,
  ProcModuleEntry,
  SysModuleInfo,
  ToaModuleName,
} from './types-host.js';

/** Module names that matter: readers first, then the hookers framework. */
export const TOA_MODULES: { name: ToaModuleName; reader: boolean; what: string }[] = [
  {
    name: 'toa',
    reader: true,
    what: 'TOA reader (Alibaba LVS, DPVS, Huawei, UCloud, TencentOS built-in, Tencent tgw_toa, TTGW)',
  },
  { name: 'vtoa', reader: true, what: 'Alibaba Cloud Linux / Anolis vtoa' },
  { name: 'tcp_toa', reader: true, what: 'Alibaba Cloud CDN kind-28 module' },
  { name: 'ip_vs_ca', reader: true, what: 'yubo/ip_vs_ca (netfilter + syscall hooks)' },
  { name: 'hookers', reader: false, what: 'hook-chaining framework used by AliKernel toa and vtoa' },
];

const MODULE_LINE = /^(\S+)\s+(\d+)\s+(-?\d+)\s+(\S+)\s+(\S+)(?:\s+(0x[0-9a-fA-F]+))?(?:\s+\(([A-Z+-]*)\))?/;

/** Parse /proc/modules: `name size refcount used_by state address [(taints)]`. */
export function parseProcModules(text: string): ProcModuleEntry[] {
  const out: ProcModuleEntry[] = [];
  for (const line of String(text).split(/\r?\n/)) {
    const m = MODULE_LINE.exec(line);
    if (!m) continue;
    const usedBy = m[4] === '-' ? [] : m[4]!.split(',').filter(Boolean);
    out.push({
      name: m[1]!,
      size: Number(m[2]),
      refcount: Number(m[3]),
      usedBy,
      state: m[5]!,
      address: m[6] ?? null,
      taints: m[7] ?? '',
      raw: line,
    });
  }
  return out;
}

async function small(root: string, abs: string): Promise<string | null> {
  const t = await textUnder(root, abs, 4096);
  return t === null ? null : t.trim();
}

export async function readSysModule(root: string, name: string): Promise<SysModuleInfo | null> {
  const base = `/sys/module/${name}`;
  if (!(await isDirUnder(root, base))) return null;
  const parameters: Record<string, string> = {};
  for (const p of await listUnder(root, `${base}/parameters`)) {
    const v = await small(root, `${base}/parameters/${p}`);
    if (v !== null) parameters[p] = v;
  }
  const init = await readUnder(root, `${base}/initstate`, 4096);
  const initstate = init.text === null ? null : init.text.trim();
  // initstate exists for every loadable module: only its absence says "built in", not EACCES
  const initDenied = isPermissionError(init.error);
  const refcntText = await small(root, `${base}/refcnt`);
  const refcnt = refcntText !== null && /^-?\d+$/.test(refcntText) ? Number(refcntText) : null;
  return {
    name,
    initstate,
    version: await small(root, `${base}/version`),
    srcversion: await small(root, `${base}/srcversion`),
    taint: await small(root, `${base}/taint`),
    refcnt,
    parameters,
    builtin: initstate === null && !initDenied,
    ...(initDenied ? { unreadable: [`${base}/initstate`] } : {}),
  };
}

export function moduleStates(procModules: ProcModuleEntry[] | null, sys: SysModuleInfo[]): ModuleState[] {
  return TOA_MODULES.map(({ name }) => {
    const pm = procModules?.find((m) => m.name === name) ?? null;
    const sm = sys.find((s) => s.name === name) ?? null;
    const taints = pm?.taints || sm?.taint || '';
    return {
      name,
      loaded: pm !== null,
      state: pm?.state ?? (sm?.initstate ? capitalize(sm.initstate) : null),
      sysfs: sm !== null,
      builtin: pm === null && sm !== null && sm.builtin,
      taints,
      outOfTree: taints.includes('O'),
      parameters: sm?.parameters ?? {},
      version: sm?.version ?? null,
    };
  });
}

function capitalize(s: string): string {
  return s.length ? s[0]!.toUpperCase() + s.slice(1) : s;
}

export async function readEbpfToa(root: string): Promise<EbpfToaInfo> {
  const present = await isDirUnder(root, '/sys/fs/bpf/toa');
  const entries = present ? (await listUnder(root, '/sys/fs/bpf/toa')).filter((e) => !e.startsWith('.')) : [];
  return { present, entries };
}
