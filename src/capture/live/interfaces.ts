/**
 * Capture devices with their addresses: /sys/class/net (every interface, up or down, with or
 * without an address) merged with os.networkInterfaces(); falls back to cap's deviceList() where
 * /sys is not available. Linux also offers the pseudo-device `any`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';

export interface CaptureDevice {
  name: string;
  /** 'up' | 'down' | 'unknown' ... (operstate) */
  state: string;
  /** addresses with prefix length, e.g. '10.0.0.5/24', 'fe80::1/64' */
  addresses: string[];
  mac: string | null;
  loopback: boolean;
  /** ifindex when known */
  index: number | null;
  description?: string;
}

function readSys(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
}

function osAddresses(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const nis = networkInterfaces();
  for (const [name, list] of Object.entries(nis)) {
    const addrs: string[] = [];
    for (const a of list ?? []) {
      const prefix = a.cidr ? a.cidr.slice(a.cidr.lastIndexOf('/')) : '';
      addrs.push(`${a.address}${prefix}`);
    }
    out.set(name, addrs);
  }
  return out;
}

/** operstate, with 'unknown' (loopback, tun) resolved from IFF_UP in the flags */
function operState(oper: string | null, flags: string | null): string {
  if (oper && oper !== 'unknown') return oper;
  if (flags) return (Number.parseInt(flags, 16) & 1) !== 0 ? 'up' : 'down';
  return oper ?? 'unknown';
}

/** Names from /sys/class/net, or null when /sys is not there (not Linux). */
export function sysInterfaceNames(sysRoot = '/sys/class/net'): string[] | null {
  try {
    return readdirSync(sysRoot).sort();
  } catch {
    return null;
  }
}

/** Does a capture device of this name exist? (`any` always does on Linux.) */
export function interfaceExists(name: string, sysRoot = '/sys/class/net'): boolean {
  const names = sysInterfaceNames(sysRoot);
  if (names === null) return true; // cannot tell here; let the engine decide
  return name === 'any' || names.includes(name);
}

/** Every capture device with addresses, sorted: up before down, then by ifindex. */
export async function listInterfaces(sysRoot = '/sys/class/net'): Promise<CaptureDevice[]> {
  if (sysInterfaceNames(sysRoot) === null) {
    const fromCap = await capDevices();
    if (fromCap) return sortDevices(fromCap);
  }
  return listInterfacesSync(sysRoot);
}

/** Synchronous listing from /sys/class/net + os.networkInterfaces() (no cap fallback). */
export function listInterfacesSync(sysRoot = '/sys/class/net'): CaptureDevice[] {
  const addrs = osAddresses();
  const names = sysInterfaceNames(sysRoot);
  const devices: CaptureDevice[] = [];
  if (names) {
    for (const name of names) {
      const dir = `${sysRoot}/${name}`;
      const type = readSys(`${dir}/type`);
      const idx = readSys(`${dir}/ifindex`);
      const mac = readSys(`${dir}/address`);
      devices.push({
        name,
        state: operState(readSys(`${dir}/operstate`), readSys(`${dir}/flags`)),
        addresses: addrs.get(name) ?? [],
        mac: mac && mac !== '00:00:00:00:00:00' ? mac : null,
        loopback: type === '772' || name === 'lo',
        index: idx ? Number(idx) : null,
      });
    }
    devices.push({
      name: 'any',
      state: 'up',
      addresses: [],
      mac: null,
      loopback: false,
      index: null,
      description: 'all interfaces (Linux cooked capture)',
    });
  } else {
    for (const [name, list] of addrs)
      devices.push({
        name,
        state: 'unknown',
        addresses: list,
        mac: null,
        loopback: list.some((a) => a.startsWith('127.') || a.startsWith('::1/')),
        index: null,
      });
  }
  return sortDevices(devices);
}

function sortDevices(devices: CaptureDevice[]): CaptureDevice[] {
  const rank = (d: CaptureDevice) =>
    d.name === 'any' ? 1 : d.state === 'up' || d.state === 'unknown' ? 0 : 2;
  return devices.sort((a, b) => rank(a) - rank(b) || (a.index ?? 1e9) - (b.index ?? 1e9));
}

async function capDevices(): Promise<CaptureDevice[] | null> {
  try {
    const mod = await import('cap');
    const list = mod.default.Cap.deviceList();
    return list.map((d) => ({
      name: d.name,
      state: 'unknown',
      addresses: d.addresses.map((a) => a.addr),
      mac: null,
      loopback: /loopback/i.test(d.flags ?? '') || d.name === 'lo',
      index: null,
      description: d.description,
    }));
  } catch {
    return null;
  }
}

/** One line naming the real interfaces, for "no such interface" messages. */
export function interfaceNamesLine(devices: CaptureDevice[]): string {
  return devices.map((d) => d.name).join(', ');
}
