/**
 * The live-capture failures a user can fix, as CaptureErrors (one line + hint; the CLI turns them
 * into exit code 2). Engines classify their raw error text with classifyCaptureFailure().
 */
import { CaptureError } from '../types.js';
import { interfaceNamesLine, listInterfaces } from './interfaces.js';

export const PERMISSION_HINT =
  'run as root, or grant CAP_NET_RAW (e.g. `sudo setcap cap_net_raw+ep "$(readlink -f "$(command -v node)")"`' +
  ' or the same on tcpdump); CAP_NET_ADMIN is needed only for promiscuous mode, which is off by default';

export async function noSuchInterface(iface: string): Promise<CaptureError> {
  let names = '';
  try {
    names = interfaceNamesLine(await listInterfaces());
  } catch {
    // leave empty
  }
  return new CaptureError(
    'NO_SUCH_INTERFACE',
    `no such interface: ${iface}`,
    names ? `capture devices here: ${names} (see \`toa-doctor interfaces\`)` : 'see `toa-doctor interfaces`',
  );
}

export function noPermission(iface: string, detail?: string): CaptureError {
  return new CaptureError(
    'NO_PERMISSION',
    `no permission to capture on ${iface}${detail ? ` (${detail})` : ''}`,
    PERMISSION_HINT,
  );
}

export function libpcapMissing(detail: string): CaptureError {
  return new CaptureError(
    'LIBPCAP_MISSING',
    `the cap engine cannot load libpcap (${detail})`,
    'install libpcap (Debian/Ubuntu: apt install libpcap-dev, then `npm rebuild cap`; RHEL: dnf install libpcap-devel) or use --engine tcpdump',
  );
}

export function capNotInstalled(detail: string): CaptureError {
  return new CaptureError(
    'CAP_UNAVAILABLE',
    `the cap engine is not available (${detail})`,
    'install libpcap-dev and reinstall toa-doctor so the optional `cap` module builds, or use --engine tcpdump',
  );
}

export function tcpdumpMissing(): CaptureError {
  return new CaptureError(
    'TCPDUMP_MISSING',
    'the tcpdump engine needs tcpdump, which is not installed (or not in PATH)',
    'install tcpdump (apt install tcpdump / dnf install tcpdump) or use --engine cap',
  );
}

export function noEngine(capReason: string): CaptureError {
  return new CaptureError(
    'NO_CAPTURE_ENGINE',
    `no capture engine available: cap cannot load (${capReason}) and tcpdump is not installed`,
    'install tcpdump (apt install tcpdump), or libpcap-dev and then `npm rebuild cap`',
  );
}

export function badFilter(filter: string, detail: string): CaptureError {
  return new CaptureError(
    'BAD_FILTER',
    `invalid capture filter '${filter}': ${detail}`,
    'check the BPF syntax (man pcap-filter); --port/--host build common filters for you',
  );
}

/** Turn libpcap/tcpdump error text into one of the user-fixable errors, or null. */
export function classifyCaptureFailure(
  text: string,
  iface: string,
  filter: string,
): CaptureError | 'no-such-interface' | null {
  const t = text.toLowerCase();
  if (/no such device|doesn't exist|does not exist|no such interface|siocgifhwaddr/.test(t))
    return 'no-such-interface';
  if (/permission|operation not permitted|not permitted|eperm|eacces/.test(t)) {
    const detail = /(socket: [^\n)]*|operation not permitted)/i.exec(text)?.[1];
    return noPermission(iface, detail);
  }
  if (/syntax error|can't parse filter|illegal|unknown host|expression rejects|bpf/.test(t)) {
    const line = text
      .split('\n')
      // the program that said it (tcpdump, or toa-doctor's own cap child process) is not news
      .map((l) => l.replace(/^(tcpdump|cap-child):\s*(error:\s*)?/, '').trim())
      .find((l) => l);
    return badFilter(filter, line ?? text.trim());
  }
  if (/network is down|is not up|enetdown/.test(t))
    return new CaptureError(
      'INTERFACE_DOWN',
      `interface ${iface} is down`,
      `bring it up: ip link set ${iface} up`,
    );
  return null;
}
