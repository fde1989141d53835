/** Container hints: /.dockerenv, /run/.containerenv, /proc/1/cgroup. Never throws. */
import type { ContainerHints } from './types-host.js';

const CGROUP_HINTS: [string, RegExp][] = [
  ['docker', /docker/i],
  ['kubepods', /kubepods/i],
  ['containerd', /containerd|cri-containerd/i],
  ['libpod', /libpod|podman/i],
  ['lxc', /\blxc\b|lxc\.payload/i],
  ['crio', /crio-/i],
  ['garden', /garden/i],
];

export function containerHints(
  dockerenv: boolean,
  containerenv: boolean,
  cgroup1: string | null,
): ContainerHints {
  const cgroupHints: string[] = [];
  if (cgroup1) {
    for (const [name, re] of CGROUP_HINTS) if (re.test(cgroup1)) cgroupHints.push(name);
  }
  const reasons: string[] = [];
  if (dockerenv) reasons.push('/.dockerenv exists');
  if (containerenv) reasons.push('/run/.containerenv exists');
  if (cgroupHints.length) reasons.push(`/proc/1/cgroup mentions ${cgroupHints.join(', ')}`);
  return {
    dockerenv,
    containerenv,
    cgroupHints,
    inContainer: reasons.length > 0,
    reasons,
  };
}
