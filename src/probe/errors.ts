/**
 * The probe/lab failures a user can fix: one line naming what is missing, one hint. The CLI turns
 * them into exit code 2 (src/cli/main.ts fail()).
 */
import { ToaError } from '../errors.js';

export class ProbeError extends ToaError {
  constructor(code: string, message: string, hint: string) {
    super(code, message, hint);
    this.name = 'ProbeError';
  }
}

export const notLinux = (platform: string) =>
  new ProbeError(
    'PROBE_NOT_LINUX',
    `probe needs Linux (BPF sock_ops and cgroup v2); this is ${platform}`,
    'run it on the backend server itself',
  );

export const noPrivilege = (missing: string[]) =>
  new ProbeError(
    'PROBE_NO_PRIVILEGE',
    `probe needs root (or ${missing.join(', ')}) to load BPF programs and create a cgroup`,
    'run it with sudo; it only makes local connections to its own port and removes everything it loads',
  );

export const oldKernel = (release: string, need: string, what: string) =>
  new ProbeError(
    'PROBE_OLD_KERNEL',
    `kernel ${release} is too old: ${what} needs Linux >= ${need}`,
    'probe cannot test this host; `toa-doctor host` and a capture (`toa-doctor live`) still work here',
  );

export const noCgroup2 = () =>
  new ProbeError(
    'PROBE_NO_CGROUP2',
    'no cgroup v2 hierarchy is mounted (BPF programs attach to a cgroup v2 directory)',
    'mount one, e.g. `mkdir -p /sys/fs/cgroup/unified && mount -t cgroup2 none /sys/fs/cgroup/unified`',
  );

export const noBpftool = () =>
  new ProbeError(
    'PROBE_NO_BPFTOOL',
    'bpftool is not installed (it loads and attaches the BPF programs)',
    'install it: Debian/Ubuntu `apt install bpftool` (older: linux-tools-common), RHEL `dnf install bpftool`',
  );

export const noObjects = (path: string) =>
  new ProbeError(
    'PROBE_NO_OBJECTS',
    `the BPF objects are missing (${path})`,
    'reinstall toa-doctor, or build them from a checkout with `npm run build:bpf` (needs clang)',
  );

export const bpfFailed = (what: string, detail: string) =>
  new ProbeError(
    'PROBE_BPF_FAILED',
    `${what} failed: ${detail}`,
    'the kernel may lack BPF header-option support (CONFIG_BPF_SYSCALL, CONFIG_CGROUP_BPF, Linux >= 5.10); set TOA_DOCTOR_DEBUG=1 to see the bpftool output',
  );
