/** Kernel identification: /proc/sys/kernel/osrelease, /proc/version, /etc/os-release. Never throws. */
import type { KernelFlavor, KernelInfo } from './types-host.js';

/** One table: first matching row wins. Tested against release, then /proc/version, then os-release. */
const FLAVOR_RULES: { flavor: KernelFlavor; re: RegExp; what: string }[] = [
  { flavor: 'tencentos', re: /tencentos/i, what: 'TencentOS' },
  { flavor: 'tencentos', re: /tlinux/i, what: 'tlinux' },
  { flavor: 'tencentos', re: /(^|[.\-_])tl[234]($|[.\-_])/i, what: 'tl2/tl3/tl4 release tag' },
  { flavor: 'tencentos', re: /opencloudos/i, what: 'OpenCloudOS (TencentOS kernel lineage)' },
  { flavor: 'alinux', re: /alibaba cloud linux|aliyun linux/i, what: 'Alibaba Cloud Linux' },
  { flavor: 'alinux', re: /(^|[.\-_])al[78]($|[.\-_])/i, what: 'al7/al8 release tag' },
  { flavor: 'alinux', re: /alinux/i, what: 'alinux' },
  { flavor: 'anolis', re: /anolis/i, what: 'Anolis' },
  { flavor: 'anolis', re: /(^|[.\-_])an[78]($|[.\-_])/i, what: 'an7/an8 release tag' },
];

function osPretty(osRelease: string | null): string | null {
  if (!osRelease) return null;
  const m = /^PRETTY_NAME=(.*)$/m.exec(osRelease);
  if (!m) return null;
  return m[1]!.trim().replace(/^["']|["']$/g, '') || null;
}

export function parseKernel(
  release: string | null,
  version: string | null,
  osRelease: string | null = null,
): KernelInfo {
  const rel = release?.trim() || null;
  const ver = version?.trim() || null;
  const pretty = osPretty(osRelease);
  let numeric: [number, number, number] | null = null;
  const nm = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(
    rel ?? (ver ? (/Linux version (\S+)/.exec(ver)?.[1] ?? '') : ''),
  );
  if (nm) numeric = [Number(nm[1]), Number(nm[2]), Number(nm[3] ?? 0)];
  let flavor: KernelFlavor = rel || ver ? 'other' : 'unknown';
  let flavorReason: string | null = null;
  const sources: [string, string | null][] = [
    ['release', rel],
    ['/proc/version', ver],
    ['os-release', pretty],
  ];
  outer: for (const [label, text] of sources) {
    if (!text) continue;
    for (const rule of FLAVOR_RULES) {
      if (rule.re.test(text)) {
        flavor = rule.flavor;
        flavorReason = `${label} matches ${rule.what}`;
        break outer;
      }
    }
  }
  return { release: rel, version: ver, numeric, flavor, flavorReason, osPrettyName: pretty };
}

export function kernelAtLeast(k: KernelInfo, major: number, minor: number): boolean | null {
  if (!k.numeric) return null;
  return k.numeric[0] > major || (k.numeric[0] === major && k.numeric[1] >= minor);
}
